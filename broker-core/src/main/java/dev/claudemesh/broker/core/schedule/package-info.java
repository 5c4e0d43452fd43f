/**
 * The scheduler (PROTOCOL-MESH §7 with the §7.10 fixes): {@code schedule}, {@code list_scheduled},
 * {@code cancel_scheduled}; one-shot and 5-field {@link dev.claudemesh.broker.core.schedule.Cron} entries kept in
 * the {@link dev.claudemesh.broker.core.schedule.ScheduleStore}, armed on the mesh loop when due within a bounded
 * window, and sent on behalf of the member that made them through the core send path
 * ({@link dev.claudemesh.broker.core.mesh.MeshContext#sendOnBehalf}).
 * {@link dev.claudemesh.broker.core.schedule.SchedulerService} is the mesh service; docs/ARCHITECTURE.md,
 * "Scheduler", describes firing, retries and restarts.
 */
package dev.claudemesh.broker.core.schedule;
