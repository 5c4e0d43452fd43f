/**
 * The per-mesh simulation clock (PROTOCOL-MESH §10.2): {@code set_clock}, {@code pause_clock}, {@code resume_clock},
 * {@code get_clock}, and {@code tick} pushes armed on the mesh loop with the injected clock. In memory only.
 */
package dev.claudemesh.broker.core.clock;
