package dev.claudemesh.broker.core.mesh;

import dev.claudemesh.broker.core.crypto.Hex;
import dev.claudemesh.broker.core.envelope.Inbound;
import dev.claudemesh.broker.core.envelope.JsonFields;
import dev.claudemesh.broker.core.model.Member;

import java.util.List;

/**
 * The stateless rules of {@code send} (PROTOCOL §4.1, §4.2): what makes a send invalid, how its size is counted, what
 * grants allow, and the error texts. Thread-safe.
 */
final class SendPolicy {

    /** Capabilities of a sender without an entry in the recipient's {@code peer_grants}. */
    static final List<String> DEFAULT_CAPS = List.of("read", "dm", "broadcast", "state-read");
    /** Longest group name, in a {@code @group} target or {@code join_group}. */
    static final int MAX_GROUP_NAME = 128;

    static final String NO_PEER_TEXT =
            "no connected peer for target (not online, or targetSpec is your own key without another session)";
    static final String GRANTS_TEXT = "blocked by recipient grants (sender lacks dm capability)";

    private SendPolicy() {
    }

    /** True for {@code *}, {@code @all} and {@code @group} targets (live-only multicast). */
    static boolean isMulticast(String target) {
        return target.startsWith("@") || target.equals("*");
    }

    /** True for {@code #<topicId>} targets (PROTOCOL-MESH §8.6), handed to the topic service. */
    static boolean isTopic(String target) {
        return target.charAt(0) == '#';
    }

    /** The counted size: UTF-8 bytes of nonce + ciphertext + targetSpec. */
    static int payloadBytes(Inbound in) {
        return (in.nonceSrc == null ? 0 : in.nonceLen) + (in.ciphertextSrc == null ? 0 : in.ciphertextLen)
                + (in.targetSpec == null ? 0 : utf8Length(in.targetSpec));
    }

    /** What is invalid about the send (the text after {@code invalid: }), or null when it is valid. */
    static String invalid(Inbound in) {
        if (!in.hasId) {
            return "missing id";
        }
        if (in.targetSpec == null || in.targetSpec.isEmpty()) {
            return "missing targetSpec";
        }
        String t = in.targetSpec;
        if (!(t.equals("*") || t.equals("@all") || (t.startsWith("@") && t.length() > 1 && t.length() <= 1 + MAX_GROUP_NAME)
                || Hex.isLowerHex(t, 64) || (isTopic(t) && t.length() > 1 && t.length() <= 1 + MAX_GROUP_NAME))) {
            return "targetSpec must be a 64-hex key, *, @all or @group";
        }
        if (in.priority != null && Priority.parse(in.priority) == null) {
            return "unknown priority";
        }
        if (in.wrongTypeField != null && !"summary".equals(in.wrongTypeField)) {
            return in.wrongTypeField + " has the wrong type";
        }
        if (in.nonceSrc == null) {
            return "missing nonce";
        }
        if (in.ciphertextSrc == null) {
            return "missing ciphertext";
        }
        if (in.badBase64Field != null) {
            return in.badBase64Field + " is not base64";
        }
        return null;
    }

    /** True when {@code recipient}'s grants give the sender member {@code capability}. */
    static boolean granted(Member recipient, String senderMemberPubkey, String capability) {
        List<String> caps = recipient.peerGrants().get(senderMemberPubkey);
        return (caps == null ? DEFAULT_CAPS : caps).contains(capability);
    }

    static int utf8Length(String s) {
        return (int) JsonFields.utf8Length(s);
    }
}
