package dev.claudemesh.broker.core.schedule;

import dev.claudemesh.broker.core.Ids;
import dev.claudemesh.broker.core.audit.AuditEvent;
import dev.claudemesh.broker.core.mesh.MeshContext;
import dev.claudemesh.broker.core.mesh.OnBehalfSend;
import dev.claudemesh.broker.core.mesh.Priority;
import dev.claudemesh.broker.core.mesh.SendOutcome;
import dev.claudemesh.broker.core.mesh.SendRejection;
import dev.claudemesh.broker.core.port.MeshLoop;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * The scheduler's state of one mesh: the entries due within {@link #ARM_WINDOW_MS}, held in memory and fired by a
 * periodic tick on the mesh loop; entries due later stay in the store and are read again as they come near, so no
 * timer is ever longer than the tick and far-future entries need no long timer (PROTOCOL-MESH §7.10).
 *
 * <p>Firing an entry: {@link ScheduleStore#claim} (records the message id about to be used and re-reads the member,
 * so a cancelled entry or a revoked member sends nothing), then {@link MeshContext#sendOnBehalf} on behalf of the
 * member. Accepted: a one-shot's row is deleted, a cron entry moves to its next fire. Refused for a reason that may
 * pass (recipient offline, rate limit, grants; for a {@code #topic} target, a restricted topic the member is not
 * subscribed to, or a history that could not be stored): tried again every {@link ScheduleLimits#retryMs}; a one-shot
 * is given up once it is older than the DM expiry (a DM queued at its due time would have expired by then), a cron
 * occurrence when the next one is due. Refused for good (too large, invalid, a {@code #topic} that is not a topic of
 * the mesh): the entry is dropped.</p>
 *
 * <p>Restart: the first read after the mesh state is created (at boot, for every mesh with pending entries) fires
 * one-shots that fell due while the broker was down, skips the missed occurrences of cron entries (moving them to
 * their next fire), and completes, without sending again, entries whose send was accepted just before the stop: the
 * message id is recorded by {@link ScheduleStore#claim} before the send and the send stores its {@code message_queue}
 * row under that id (a DM's queue row; a topic message's history row and queue row, in one transaction), so that
 * row is the proof. A multicast's record is written after its fan-out, so a crash in between can send it twice.</p>
 *
 * <p><b>Thread:</b> the mesh loop; store calls run on the mesh's storage lane, in submission order, and continue on
 * the loop, so an entry read by a scan that raced with its own fire is recognised by its id.</p>
 */
final class Schedules {

    private static final Logger log = LoggerFactory.getLogger(Schedules.class);
    /** Entries due within this are held in memory and armed; later ones are read again when half of it remains. */
    static final long ARM_WINDOW_MS = 10 * 60_000;
    static final String REMINDER = "reminder";

    private enum Phase {
        /** Due at {@code attemptAtMs}. */
        WAITING,
        /** Claimed and being sent: nothing to do until the outcome. */
        SENDING,
        /** Sent; its store update failed and is tried again at {@code attemptAtMs}. */
        FINISHING
    }

    /** An entry held in memory. */
    private static final class Armed {
        ScheduledMessage entry;
        Cron cron;
        long attemptAtMs;
        Phase phase = Phase.WAITING;
        Runnable finishAgain;
        boolean cancelled;
    }

    final MeshContext mesh;
    final ScheduleStore store;
    final ScheduleLimits limits;
    private final HashMap<String, Armed> armedById = new HashMap<>();
    /** Due time of the earliest entry not held in memory; -1 when none is known. */
    private long nextLaterMs = -1;
    private boolean scanning;
    /** False until the first read succeeded (it treats overdue cron occurrences as missed). */
    private boolean booted;
    private long scanRetryAtMs;
    private MeshLoop.Cancellable tick;

    Schedules(MeshContext mesh, ScheduleStore store, ScheduleLimits limits) {
        this.mesh = mesh;
        this.store = store;
        this.limits = limits;
    }

    /** Reads the store for the first time; called on the loop when the mesh state is created. */
    void start() {
        scan(mesh.nowMs());
        ensureTicking();
    }

    /** Number of entries held in memory (tests). */
    int armedCount() {
        return armedById.size();
    }

    // ------------------------------------------------------------------------------------------ requests

    /** A new entry was stored: hold it when due soon. */
    void added(ScheduledMessage e, long nowMs) {
        if (e.deliverAtMs() < nowMs + ARM_WINDOW_MS) {
            arm(e, e.deliverAtMs());
            fireDue(nowMs);
        } else {
            later(e.deliverAtMs());
        }
        ensureTicking();
    }

    /** Entry {@code id} was deleted by {@code cancel_scheduled}: forget it, and stop a send not yet made. */
    void cancelled(String id) {
        Armed a = armedById.remove(id);
        if (a != null) {
            a.cancelled = true;
        }
    }

    // ------------------------------------------------------------------------------------------ ticks and scans

    private void ensureTicking() {
        if (tick == null && (!armedById.isEmpty() || nextLaterMs >= 0 || !booted)) {
            tick = mesh.loop().scheduleAtFixedRate(this::onTick, limits.tickMs());
        }
    }

    private void onTick() {
        long now = mesh.nowMs();
        if (!scanning && now >= scanRetryAtMs
                && (!booted || (nextLaterMs >= 0 && now + ARM_WINDOW_MS / 2 >= nextLaterMs))) {
            scan(now);
        }
        fireDue(now);
        if (tick != null && booted && !scanning && armedById.isEmpty() && nextLaterMs < 0) {
            tick.cancel();
            tick = null;
        }
    }

    private void scan(long nowMs) {
        scanning = true;
        long beforeMs = nowMs + ARM_WINDOW_MS;
        mesh.onLoop(mesh.storage(() -> store.due(mesh.meshId(), beforeMs)), (due, failure) -> {
            scanning = false;
            long now = mesh.nowMs();
            if (failure != null) {
                log.warn("mesh {}: could not read scheduled messages ({}); trying again in {} ms", mesh.meshId(),
                        failure.getClass().getSimpleName(), limits.retryMs());
                scanRetryAtMs = now + limits.retryMs();
                return;
            }
            boolean boot = !booted;
            booted = true;
            nextLaterMs = due.nextLaterMs();
            for (ScheduledMessage e : due.entries()) {
                if (!armedById.containsKey(e.id())) {
                    recovered(e, now, boot);
                }
            }
            fireDue(now);
            ensureTicking();
        });
    }

    /** An entry read from the store that is not held yet. */
    private void recovered(ScheduledMessage e, long nowMs, boolean boot) {
        Armed a = arm(e, e.deliverAtMs());
        if (a == null) {
            return;
        }
        if (e.pendingMessageId() != null && e.pendingSent()) {
            // its send was accepted (the message is in the queue) and the broker stopped before recording it
            log.info("mesh {}: scheduled {} was sent before the restart; completing it", mesh.meshId(), e.id());
            sent(a, nowMs);
        } else if (boot && a.cron != null && e.deliverAtMs() < nowMs) {
            long next = a.cron.nextAfter(nowMs);
            log.info("mesh {}: scheduled {} missed its fire while the broker was down; next fire {}", mesh.meshId(),
                    e.id(), next);
            advance(a, next, e.firedCount(), null);
        }
    }

    /** Holds {@code e}, due at {@code attemptAtMs}; null (and the entry dropped) when its cron does not parse. */
    private Armed arm(ScheduledMessage e, long attemptAtMs) {
        Armed a = new Armed();
        a.entry = e;
        a.attemptAtMs = attemptAtMs;
        if (e.cron() != null) {
            try {
                a.cron = Cron.parse(e.cron());
            } catch (IllegalArgumentException bad) {
                log.warn("mesh {}: scheduled {} has a cron expression that does not parse; dropping it",
                        mesh.meshId(), e.id());
                armedById.put(e.id(), a);
                drop(a, "invalid_cron");
                return null;
            }
        }
        armedById.put(e.id(), a);
        return a;
    }

    private void later(long deliverAtMs) {
        nextLaterMs = nextLaterMs < 0 ? deliverAtMs : Math.min(nextLaterMs, deliverAtMs);
    }

    private void fireDue(long nowMs) {
        List<Armed> due = null;
        for (Armed a : armedById.values()) {
            if (a.phase != Phase.SENDING && a.attemptAtMs <= nowMs) {
                if (due == null) {
                    due = new ArrayList<>();
                }
                due.add(a);
            }
        }
        if (due == null) {
            return;
        }
        for (Armed a : due) {
            if (a.phase == Phase.WAITING) {
                fire(a, nowMs);
            } else if (a.phase == Phase.FINISHING) {
                a.finishAgain.run();
            }
        }
    }

    // ------------------------------------------------------------------------------------------ firing

    private void fire(Armed a, long nowMs) {
        a.phase = Phase.SENDING;
        ScheduledMessage e = a.entry;
        String messageId = Ids.newId(nowMs);
        mesh.onLoop(mesh.storage(() -> store.claim(e.id(), messageId)), (member, failure) -> {
            if (a.cancelled) {
                return;
            }
            long now = mesh.nowMs();
            if (failure != null) {
                log.warn("mesh {}: could not claim scheduled {} ({}); trying again in {} ms", mesh.meshId(), e.id(),
                        failure.getClass().getSimpleName(), limits.retryMs());
                retry(a, now);
                return;
            }
            if (member == null) {
                log.info("mesh {}: scheduled {} is gone or its member is revoked; not sent", mesh.meshId(), e.id());
                armedById.remove(e.id());
                return;
            }
            // a reminder to oneself goes to the member key, so any of the member's leases gets it (§7.10)
            String target = e.toSelf() ? member.pubkey() : e.target();
            String subtype = e.toSelf() ? REMINDER : e.subtype();
            byte[] ciphertext = Base64.getEncoder().encode(e.message().getBytes(StandardCharsets.UTF_8));
            mesh.sendOnBehalf(new OnBehalfSend(e.memberId(), member.pubkey(), member.name(), e.presenceId(), target,
                    ciphertext, Priority.NOW, subtype, e.toSelf(), messageId), new SendOutcome() {
                @Override
                public void accepted(String id) {
                    sent(a, mesh.nowMs());
                }

                @Override
                public void refused(SendRejection reason, String error) {
                    Schedules.this.refused(a, reason, mesh.nowMs());
                }
            });
        });
    }

    /** The entry's send was accepted: a one-shot is done, a cron entry moves to its next fire. */
    private void sent(Armed a, long nowMs) {
        ScheduledMessage e = a.entry;
        if (a.cron == null) {
            finish(a, () -> {
                store.delete(e.id());
                return null;
            }, () -> armedById.remove(e.id()));
            return;
        }
        long next = a.cron.nextAfter(nowMs);
        if (next < 0) {
            log.info("mesh {}: scheduled {} has no fire within 366 days any more; removing it", mesh.meshId(), e.id());
            drop(a, "no_next_fire");
            return;
        }
        advance(a, next, e.firedCount() + 1, nowMs);
    }

    private void refused(Armed a, SendRejection reason, long nowMs) {
        ScheduledMessage e = a.entry;
        if (reason == SendRejection.PAYLOAD_TOO_LARGE || reason == SendRejection.INVALID) {
            log.warn("mesh {}: scheduled {} can never be sent ({}); dropping it", mesh.meshId(), e.id(),
                    reason.metricReason());
            drop(a, reason.metricReason());
            return;
        }
        if (a.cron == null) {
            if (nowMs - e.deliverAtMs() >= mesh.settings().dmExpiryMs()) {
                log.info("mesh {}: scheduled {} could not be sent ({}) until it expired; dropping it", mesh.meshId(),
                        e.id(), reason.metricReason());
                drop(a, "expired");
                return;
            }
            log.info("mesh {}: scheduled {} not sent ({}); trying again in {} ms", mesh.meshId(), e.id(),
                    reason.metricReason(), limits.retryMs());
            retry(a, nowMs);
            return;
        }
        long following = a.cron.nextAfter(e.deliverAtMs());
        if (following < 0 || nowMs + limits.retryMs() >= following) {
            log.info("mesh {}: scheduled {} not sent ({}); skipping this occurrence", mesh.meshId(), e.id(),
                    reason.metricReason());
            advance(a, a.cron.nextAfter(nowMs), e.firedCount(), null);
            return;
        }
        log.info("mesh {}: scheduled {} not sent ({}); trying again in {} ms", mesh.meshId(), e.id(),
                reason.metricReason(), limits.retryMs());
        retry(a, nowMs);
    }

    private void retry(Armed a, long nowMs) {
        a.phase = Phase.WAITING;
        a.attemptAtMs = nowMs + limits.retryMs();
    }

    /** Moves a cron entry to {@code nextMs} (-1: none within the horizon, the entry is dropped). */
    private void advance(Armed a, long nextMs, int firedCount, Long firedAtMs) {
        ScheduledMessage e = a.entry;
        if (nextMs < 0) {
            drop(a, "no_next_fire");
            return;
        }
        finish(a, () -> {
            store.advance(e.id(), nextMs, firedCount, firedAtMs);
            return null;
        }, () -> {
            a.entry = new ScheduledMessage(e.id(), e.meshId(), e.memberId(), e.presenceId(), e.target(), e.toSelf(),
                    e.message(), nextMs, e.cron(), e.subtype(), firedCount, e.createdAtMs(), null, false);
            if (nextMs < mesh.nowMs() + ARM_WINDOW_MS) {
                a.phase = Phase.WAITING;
                a.attemptAtMs = nextMs;
            } else {
                armedById.remove(e.id());
                later(nextMs);
            }
        });
    }

    /** Deletes an entry that will never be sent, and records why. */
    private void drop(Armed a, String reason) {
        ScheduledMessage e = a.entry;
        finish(a, () -> {
            store.delete(e.id());
            return null;
        }, () -> {
            armedById.remove(e.id());
            mesh.audit(e.memberId(), new AuditEvent.ScheduleDropped(e.id(), reason));
        });
    }

    /**
     * Runs {@code storeCall}, then {@code done} on the loop; a failed call is tried again every retry period (the
     * send it records already happened, so the entry must not be sent again meanwhile).
     */
    private void finish(Armed a, Callable<Void> storeCall, Runnable done) {
        a.phase = Phase.SENDING;
        mesh.onLoop(mesh.storage(storeCall), (ignored, failure) -> {
            if (a.cancelled) {
                return;
            }
            if (failure != null) {
                log.warn("mesh {}: could not update scheduled {} ({}); trying again in {} ms", mesh.meshId(),
                        a.entry.id(), failure.getClass().getSimpleName(), limits.retryMs());
                a.phase = Phase.FINISHING;
                a.finishAgain = () -> finish(a, storeCall, done);
                a.attemptAtMs = mesh.nowMs() + limits.retryMs();
                return;
            }
            done.run();
            ensureTicking();
        });
    }
}
