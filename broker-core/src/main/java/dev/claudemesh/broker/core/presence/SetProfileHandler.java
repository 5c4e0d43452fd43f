package dev.claudemesh.broker.core.presence;

import dev.claudemesh.broker.core.envelope.Inbound;
import dev.claudemesh.broker.core.envelope.JsonNode;
import dev.claudemesh.broker.core.envelope.JsonOut;
import dev.claudemesh.broker.core.mesh.Lease;
import dev.claudemesh.broker.core.mesh.MessageHandler;
import dev.claudemesh.broker.core.mesh.PeerSession;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code set_profile} {@code {avatar?, title?, bio?, capabilities?}} (PROTOCOL-MESH §3.1): each of the four keys that
 * is present ({@code null} included) overwrites that key of the caller's lease profile; other keys are ignored. No
 * push; others see the profile in {@code list_peers}. Answers ack-shaped. [fix] (§16 defect 13): {@code avatar},
 * {@code title} and {@code bio} must be strings or null, {@code capabilities} an array of strings or null, and the
 * resulting profile at most {@link PresenceLimits#leaseMetadataMaxBytes()} bytes of JSON; otherwise
 * {@code bad_request} and the profile is unchanged. Stateless; runs on the mesh loop.
 */
final class SetProfileHandler implements MessageHandler<PresenceState> {

    private static final List<String> TEXT_KEYS = List.of("avatar", "title", "bio");
    private static final String CAPABILITIES = "capabilities";

    private final PresenceLimits limits;

    SetProfileHandler(PresenceLimits limits) {
        this.limits = limits;
    }

    @Override
    public void handle(PresenceState state, PeerSession from, Inbound in) {
        JsonNode.ObjectNode body = in.body();
        for (String key : TEXT_KEYS) {
            JsonNode v = body.get(key);
            if (v != null && !(v instanceof JsonNode.StringNode) && !(v instanceof JsonNode.NullNode)) {
                state.mesh.error(from, in, "bad_request", "set_profile: " + key + " must be a string or null");
                return;
            }
        }
        JsonNode caps = body.get(CAPABILITIES);
        if (caps != null && !(caps instanceof JsonNode.NullNode) && !isStringArray(caps)) {
            state.mesh.error(from, in, "bad_request", "set_profile: capabilities must be an array of strings or null");
            return;
        }
        Lease l = from.lease();
        // a key already set keeps its place (LinkedHashMap.put), a new one goes last: the original's object order
        Map<String, JsonNode> fields = new LinkedHashMap<>(l.profile().fields());
        for (String key : TEXT_KEYS) {
            if (body.has(key)) {
                fields.put(key, body.get(key));
            }
        }
        if (caps != null) {
            fields.put(CAPABILITIES, caps);
        }
        JsonNode.ObjectNode profile = new JsonNode.ObjectNode(fields);
        int bytes = new JsonOut().value(profile).size();
        if (bytes > limits.leaseMetadataMaxBytes()) {
            state.mesh.error(from, in, "bad_request", "set_profile: profile of " + bytes + " bytes > "
                    + limits.leaseMetadataMaxBytes() + " (LEASE_METADATA_MAX_BYTES)");
            return;
        }
        l.profile(profile);
        from.reply(AckShaped.of(in));
    }

    private static boolean isStringArray(JsonNode n) {
        if (!(n instanceof JsonNode.ArrayNode a)) {
            return false;
        }
        for (JsonNode item : a.items()) {
            if (!(item instanceof JsonNode.StringNode)) {
                return false;
            }
        }
        return true;
    }
}
