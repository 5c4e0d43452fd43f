package dev.claudemesh.broker.core.clock;

import dev.claudemesh.broker.core.envelope.Frames;
import dev.claudemesh.broker.core.envelope.Inbound;
import dev.claudemesh.broker.core.envelope.JsonNode;
import dev.claudemesh.broker.core.envelope.JsonOut;
import dev.claudemesh.broker.core.mesh.MessageHandler;
import dev.claudemesh.broker.core.mesh.PeerSession;

import java.util.regex.Pattern;

/**
 * One of {@code set_clock {speed}}, {@code pause_clock}, {@code resume_clock}, {@code get_clock} (PROTOCOL-MESH §10.2)
 * → {@code {"type":"clock_status","speed","paused","tick","simTime","startedAt","_reqId"?}}. Pause and resume of a mesh
 * without a clock → {@code error{code:"no_clock",message:"No clock running for this mesh"}}. Runs on the mesh loop;
 * stateless.
 */
final class ClockHandler implements MessageHandler<MeshClock> {

    /** A decimal literal as JavaScript's {@code Number()} reads a string (after trimming). */
    private static final Pattern DECIMAL = Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");
    private static final Pattern HEX = Pattern.compile("0[xX][0-9a-fA-F]{1,13}");

    enum Op { SET, PAUSE, RESUME, GET }

    private final Op op;

    ClockHandler(Op op) {
        this.op = op;
    }

    @Override
    public void handle(MeshClock clock, PeerSession from, Inbound in) {
        switch (op) {
            case SET -> clock.set(jsNumber(in.body().get("speed")));
            case PAUSE, RESUME -> {
                if (!(op == Op.PAUSE ? clock.pause() : clock.resume())) {
                    clockError(clock, from, in);
                    return;
                }
            }
            case GET -> {
                // status only
            }
        }
        JsonOut o = Frames.beginReply("clock_status");
        clock.writeStatus(o);
        from.reply(Frames.endReply(o, in));
    }

    private static void clockError(MeshClock clock, PeerSession from, Inbound in) {
        clock.mesh().error(from, in, "no_clock", "No clock running for this mesh");
    }

    /**
     * JavaScript's {@code Number(v)} for a JSON value: absent or an object/array → NaN, null → 0, a boolean → 1/0, a
     * number → its value, a string → its trimmed decimal (or {@code 0x} hex, or {@code Infinity}) value, empty → 0,
     * else NaN.
     */
    static double jsNumber(JsonNode v) {
        if (v == null) {
            return Double.NaN;
        }
        if (v instanceof JsonNode.NullNode) {
            return 0;
        }
        if (v instanceof JsonNode.BooleanNode b) {
            return b.value() ? 1 : 0;
        }
        if (v instanceof JsonNode.NumberNode n) {
            return n.decimalValue().doubleValue();
        }
        if (v instanceof JsonNode.StringNode s) {
            String t = s.value().strip();
            if (t.isEmpty()) {
                return 0;
            }
            if (DECIMAL.matcher(t).matches()) {
                return Double.parseDouble(t);
            }
            if (HEX.matcher(t).matches()) {
                return Long.parseLong(t.substring(2), 16);
            }
            return switch (t) {
                case "Infinity", "+Infinity" -> Double.POSITIVE_INFINITY;
                case "-Infinity" -> Double.NEGATIVE_INFINITY;
                default -> Double.NaN;
            };
        }
        return Double.NaN;
    }
}
