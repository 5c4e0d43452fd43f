package dev.claudemesh.broker.core.clock;

import dev.claudemesh.broker.core.mesh.MeshContext;
import dev.claudemesh.broker.core.mesh.MeshService;

/**
 * The simulation clock (PROTOCOL-MESH §10.2): {@code set_clock}, {@code pause_clock}, {@code resume_clock},
 * {@code get_clock}, each answered {@code clock_status}. Any member may use them (no permission check, as in the
 * original). No store: the clock lives in memory. Stateless; thread-safe.
 */
public final class ClockService implements MeshService<MeshClock> {

    @Override
    public String name() {
        return "clock";
    }

    @Override
    public void registerHandlers(Registrar<MeshClock> r) {
        r.handle("set_clock", new ClockHandler(ClockHandler.Op.SET));
        r.handle("pause_clock", new ClockHandler(ClockHandler.Op.PAUSE));
        r.handle("resume_clock", new ClockHandler(ClockHandler.Op.RESUME));
        r.handle("get_clock", new ClockHandler(ClockHandler.Op.GET));
    }

    @Override
    public MeshClock createMeshState(MeshContext mesh) {
        return new MeshClock(mesh);
    }
}
