package dev.claudemesh.broker.core.testing;

import dev.claudemesh.broker.core.crypto.Ed25519;
import dev.claudemesh.broker.core.envelope.JsonOut;

/** Builds signed {@code hello} / {@code session_hello} frames the way claudemesh clients do. For tests. */
public final class Identities {

    private Identities() {
    }

    /** A member key pair plus its ids. */
    public record MemberKeys(String meshId, String memberId, Ed25519.KeyPair keys) {
        public String pubkey() {
            return keys.publicKeyHex();
        }
    }

    public static String hello(MemberKeys m, String sessionPubkey, String sessionId, long timestampMs, String displayName) {
        String sig = Ed25519.sign(m.keys().seed(), m.meshId() + "|" + m.memberId() + "|" + m.pubkey() + "|" + timestampMs);
        JsonOut o = new JsonOut().beginObject().field("type", "hello").field("meshId", m.meshId())
                .field("memberId", m.memberId()).field("pubkey", m.pubkey());
        if (sessionPubkey != null) {
            o.field("sessionPubkey", sessionPubkey);
        }
        return o.field("displayName", displayName).field("sessionId", sessionId).field("pid", 42).field("cwd", "/w")
                .field("hostname", "h").field("peerType", "ai").field("channel", "claudemesh-daemon")
                .field("timestamp", timestampMs).field("signature", sig).endObject().toString();
    }

    /** A session_hello for {@code session} attested by {@code parent}, attestation valid for {@code attTtlMs}. */
    public static String sessionHello(MemberKeys parent, Ed25519.KeyPair session, String sessionId, long nowMs,
                                      long attTtlMs, String displayName, String groupsJson) {
        long expiresAt = nowMs + attTtlMs;
        String attSig = Ed25519.sign(parent.keys().seed(), "claudemesh-session-attest|" + parent.pubkey() + "|"
                + session.publicKeyHex() + "|" + expiresAt);
        String helloSig = Ed25519.sign(session.seed(), "claudemesh-session-hello|" + parent.meshId() + "|"
                + parent.pubkey() + "|" + session.publicKeyHex() + "|" + nowMs);
        return "{\"type\":\"session_hello\",\"meshId\":\"" + parent.meshId() + "\",\"parentMemberId\":\""
                + parent.memberId() + "\",\"parentMemberPubkey\":\"" + parent.pubkey() + "\",\"sessionPubkey\":\""
                + session.publicKeyHex() + "\",\"parentAttestation\":{\"sessionPubkey\":\"" + session.publicKeyHex()
                + "\",\"parentMemberPubkey\":\"" + parent.pubkey() + "\",\"expiresAt\":" + expiresAt
                + ",\"signature\":\"" + attSig + "\"},\"displayName\":\"" + displayName + "\",\"sessionId\":\""
                + sessionId + "\",\"pid\":5150,\"cwd\":\"/w\",\"hostname\":\"h\",\"channel\":\"claudemesh-session\","
                + "\"groups\":" + (groupsJson == null ? "[]" : groupsJson) + ",\"role\":\"dev\",\"timestamp\":" + nowMs
                + ",\"signature\":\"" + helloSig + "\"}";
    }

    /** A send frame. */
    public static String send(String id, String target, String priority, String nonceB64, String ciphertextB64) {
        return "{\"type\":\"send\",\"id\":\"" + id + "\",\"client_message_id\":\"" + id + "\",\"targetSpec\":\""
                + target + "\"" + (priority == null ? "" : ",\"priority\":\"" + priority + "\"") + ",\"nonce\":\""
                + nonceB64 + "\",\"ciphertext\":\"" + ciphertextB64 + "\"}";
    }
}
