package dev.claudemesh.broker.netty.it;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Waiting for a reply by type and {@code _reqId} and reading it as a JSON client would (mesh-feature ITs). */
final class Replies {

    private Replies() {
    }

    /** Waits (5 s) for the frame of {@code type} that echoes the string request id {@code reqId}; parses it. */
    static Map<String, Object> await(WsClient ws, String type, String reqId) {
        return Json.object(ws.await(s -> s.contains("\"type\":\"" + type + "\"")
                && s.contains("\"_reqId\":\"" + reqId + "\""), 5_000));
    }

    /** The error frame answering {@code reqId}: {@code {"type":"error","code","message","_reqId"}}. */
    static Map<String, Object> error(WsClient ws, String reqId) {
        return await(ws, "error", reqId);
    }

    /** The field names of {@code frame}, in their order on the wire. */
    static List<String> keys(Map<String, ?> frame) {
        return new ArrayList<>(frame.keySet());
    }

    /** A JSON string literal of {@code s} (for building request frames). */
    static String str(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
