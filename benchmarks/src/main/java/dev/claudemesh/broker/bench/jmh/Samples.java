package dev.claudemesh.broker.bench.jmh;

import dev.claudemesh.broker.core.crypto.Ed25519;
import dev.claudemesh.broker.core.model.StoredMessage;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.SplittableRandom;

/** Realistic inputs for the benchmarks: frames as the claudemesh CLI writes them, with fixed random payloads. */
public final class Samples {

    public static final String MESH_ID = "Mesh0000000000000000000000000001";
    public static final String MEMBER_ID = "Memb0000000000000000000000000001";
    public static final long NOW_MS = 1_767_225_600_000L;

    private Samples() {
    }

    /** {@code n} random bytes as base64 text bytes (ASCII). */
    public static byte[] base64(int n, long seed) {
        byte[] raw = new byte[n];
        new SplittableRandom(seed).nextBytes(raw);
        return Base64.getEncoder().encode(raw);
    }

    public static String hex64(long seed) {
        byte[] raw = new byte[32];
        new SplittableRandom(seed).nextBytes(raw);
        StringBuilder sb = new StringBuilder(64);
        for (byte b : raw) {
            sb.append(Character.forDigit((b >> 4) & 0xF, 16)).append(Character.forDigit(b & 0xF, 16));
        }
        return sb.toString();
    }

    /** A DM {@code send} frame with a {@code ciphertextBytes} ciphertext (before base64) and a 24-byte nonce. */
    public static byte[] sendFrame(int ciphertextBytes) {
        String ct = new String(base64(ciphertextBytes, 1), StandardCharsets.US_ASCII);
        String nonce = new String(base64(24, 2), StandardCharsets.US_ASCII);
        return ("{\"type\":\"send\",\"id\":\"c-1234567\",\"client_message_id\":\"c-1234567\",\"targetSpec\":\""
                + hex64(3) + "\",\"priority\":\"next\",\"nonce\":\"" + nonce + "\",\"ciphertext\":\"" + ct + "\"}")
                .getBytes(StandardCharsets.UTF_8);
    }

    public static byte[] clientAckFrame() {
        return "{\"type\":\"client_ack\",\"clientMessageId\":\"c-1234567\",\"brokerMessageId\":\"AbCdEfGhIjKlMnOpQrStUvWxYz012345\"}"
                .getBytes(StandardCharsets.UTF_8);
    }

    /** A signed session_hello (PROTOCOL §3.2) with its keys. */
    public record Hello(byte[] frame, Ed25519.KeyPair parent, Ed25519.KeyPair session, long timestampMs,
                        long expiresAtMs) {
    }

    public static Hello sessionHello() {
        Ed25519.KeyPair parent = Ed25519.fromSeed(seed(11));
        Ed25519.KeyPair session = Ed25519.fromSeed(seed(12));
        long expiresAt = NOW_MS + 3_600_000;
        String attSig = Ed25519.sign(parent.seed(), "claudemesh-session-attest|" + parent.publicKeyHex() + "|"
                + session.publicKeyHex() + "|" + expiresAt);
        String helloSig = Ed25519.sign(session.seed(), "claudemesh-session-hello|" + MESH_ID + "|"
                + parent.publicKeyHex() + "|" + session.publicKeyHex() + "|" + NOW_MS);
        String json = "{\"type\":\"session_hello\",\"meshId\":\"" + MESH_ID + "\",\"parentMemberId\":\"" + MEMBER_ID
                + "\",\"parentMemberPubkey\":\"" + parent.publicKeyHex() + "\",\"sessionPubkey\":\""
                + session.publicKeyHex() + "\",\"parentAttestation\":{\"sessionPubkey\":\"" + session.publicKeyHex()
                + "\",\"parentMemberPubkey\":\"" + parent.publicKeyHex() + "\",\"expiresAt\":" + expiresAt
                + ",\"signature\":\"" + attSig + "\"},\"displayName\":\"alice\",\"sessionId\":\"5f0c6d1e-7a7b-4c1d-9a38-0e5b0c1d2e3f\","
                + "\"pid\":5150,\"cwd\":\"/home/alice/work\",\"hostname\":\"h\",\"channel\":\"claudemesh-session\","
                + "\"groups\":[{\"name\":\"be\",\"role\":\"lead\"}],\"role\":\"dev\",\"timestamp\":" + NOW_MS
                + ",\"signature\":\"" + helloSig + "\"}";
        return new Hello(json.getBytes(StandardCharsets.UTF_8), parent, session, NOW_MS, expiresAt);
    }

    private static byte[] seed(long s) {
        byte[] b = new byte[32];
        new SplittableRandom(s).nextBytes(b);
        return b;
    }

    /** A stored DM as the routing code builds it. */
    public static StoredMessage dm(int ciphertextBytes) {
        return new StoredMessage("AbCdEfGhIjKlMnOpQrStUvWxYz012345", MESH_ID, MEMBER_ID, hex64(4), hex64(5), "alice",
                hex64(3), "next", base64(24, 2), base64(ciphertextBytes, 1), "c-1234567", null, NOW_MS,
                NOW_MS + 7L * 24 * 3600_000);
    }
}
