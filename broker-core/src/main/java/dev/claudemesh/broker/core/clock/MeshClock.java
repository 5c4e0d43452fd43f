package dev.claudemesh.broker.core.clock;

import dev.claudemesh.broker.core.audit.AuditChain;
import dev.claudemesh.broker.core.envelope.JsonNode;
import dev.claudemesh.broker.core.envelope.JsonOut;
import dev.claudemesh.broker.core.mesh.Ending;
import dev.claudemesh.broker.core.mesh.Lease;
import dev.claudemesh.broker.core.mesh.LeaseListener;
import dev.claudemesh.broker.core.mesh.MeshContext;
import dev.claudemesh.broker.core.port.Fanout;
import dev.claudemesh.broker.core.port.MeshLoop;

import java.math.BigDecimal;

/**
 * The simulation clock of one mesh (PROTOCOL-MESH §10.2), absent until the first {@code set_clock}. A running clock
 * ticks every {@code 60 000 / speed} ms on the mesh loop's timer (the injected clock in tests): each tick adds one to
 * {@code tick}, advances {@code simTime} by one simulated minute and pushes
 * {@code {"type":"push","subtype":"system","event":"tick","eventData":{"tick","simTime","speed"},…}} to every live lease
 * of the mesh. It pauses itself when the mesh's last lease ends. In memory only: lost on restart. <b>Thread:</b> the
 * mesh loop; owned by {@link ClockService}.
 */
public final class MeshClock implements LeaseListener {

    /** Slowest and fastest speeds (ticks per real minute); fractions are kept. */
    static final double MIN_SPEED = 1;
    static final double MAX_SPEED = 100;
    /** Real milliseconds per tick at speed 1, and simulated milliseconds per tick at any speed. */
    static final long MINUTE_MS = 60_000;

    private final MeshContext mesh;
    private boolean exists;
    private double speed;
    private boolean paused;
    private long tick;
    private long simTimeMs;
    private long startedAtMs;
    private MeshLoop.Cancellable timer;

    MeshClock(MeshContext mesh) {
        this.mesh = mesh;
    }

    /**
     * {@code set_clock}: {@code requested} is the request's {@code speed} as JavaScript's {@code Number()} reads it.
     * Not a number → 1; ≤ 0 → pause [fix §10.2: the CLI and SKILL.md mean "0 = paused"; the original ran at 1] (with
     * no clock yet, nothing is created); else clamped to 1..100. Creates the clock (tick 0, simTime = startedAt = now,
     * running) or changes its speed; a running clock restarts its interval, a paused one stays paused.
     */
    void set(double requested) {
        if (!Double.isNaN(requested) && requested <= 0) {
            pause();
            return;
        }
        double s = Double.isNaN(requested) ? MIN_SPEED : Math.max(MIN_SPEED, Math.min(MAX_SPEED, requested));
        if (!exists) {
            long now = mesh.nowMs();
            exists = true;
            paused = false;
            tick = 0;
            simTimeMs = now;
            startedAtMs = now;
        }
        speed = s;
        if (!paused) {
            start();
        }
    }

    /** {@code pause_clock}: stops the ticks. False when the mesh has no clock. */
    boolean pause() {
        if (!exists) {
            return false;
        }
        paused = true;
        stop();
        return true;
    }

    /** {@code resume_clock}: restarts a paused clock (a running one is left as it is). False when there is none. */
    boolean resume() {
        if (!exists) {
            return false;
        }
        if (paused) {
            paused = false;
            start();
        }
        return true;
    }

    boolean exists() {
        return exists;
    }

    MeshContext mesh() {
        return mesh;
    }

    /**
     * Writes {@code "speed","paused","tick","simTime","startedAt"} of {@code clock_status}; with no clock
     * {@code speed:0, paused:true, tick:0} and now for both times, as the original.
     */
    void writeStatus(JsonOut o) {
        if (!exists) {
            String now = AuditChain.isoMillis(mesh.nowMs());
            o.field("speed", 0).field("paused", true).field("tick", 0).field("simTime", now).field("startedAt", now);
            return;
        }
        o.name("speed").value(number(speed)).field("paused", paused).field("tick", tick)
                .field("simTime", AuditChain.isoMillis(simTimeMs)).field("startedAt", AuditChain.isoMillis(startedAtMs));
    }

    @Override
    public void leaseEnded(Lease lease, Ending ending) {
        if (mesh.leases().size() == 0) {
            pause();
        }
    }

    private void start() {
        stop();
        long periodMs = Math.max(1, Math.round(MINUTE_MS / speed));
        timer = mesh.loop().scheduleAtFixedRate(this::tick, periodMs);
    }

    private void stop() {
        if (timer != null) {
            timer.cancel();
            timer = null;
        }
    }

    private void tick() {
        if (paused || timer == null) {
            return;
        }
        tick++;
        simTimeMs += MINUTE_MS;
        long t = tick;
        String sim = AuditChain.isoMillis(simTimeMs);
        JsonNode s = number(speed);
        byte[] frame = mesh.systemEvent("tick", o -> o.beginObject().field("tick", t).field("simTime", sim)
                .name("speed").value(s).endObject());
        Fanout out = mesh.loop().fanout();
        for (Lease l : mesh.leases().all()) {
            mesh.send(out, l, frame);
        }
        out.finish();
    }

    /** {@code speed} as a JSON number: an integer without a fraction, else its shortest decimal form. */
    static JsonNode number(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return new JsonNode.NumberNode(Long.toString((long) v));
        }
        return new JsonNode.NumberNode(BigDecimal.valueOf(v).stripTrailingZeros().toPlainString());
    }
}
