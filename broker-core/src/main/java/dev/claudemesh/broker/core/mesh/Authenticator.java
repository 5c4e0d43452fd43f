package dev.claudemesh.broker.core.mesh;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.claudemesh.broker.core.crypto.Ed25519;
import dev.claudemesh.broker.core.crypto.Hex;
import dev.claudemesh.broker.core.envelope.Frames;
import dev.claudemesh.broker.core.envelope.Inbound;
import dev.claudemesh.broker.core.model.Member;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Checks {@code hello} and {@code session_hello} in exactly the order of PROTOCOL §3. The stateless checks
 * (formats, capacity pre-check, timestamps, signatures) run on the socket's thread; the membership lookup
 * completes on a storage thread; the checks that need mesh state and the registration run on the mesh loop.
 *
 * <p>Remembers the parent attestations of {@code session_hello}s whose signature verified, so that a session that
 * reconnects with the attestation it sent before costs one ed25519 verification instead of two.</p>
 */
final class Authenticator {

    private static final Logger log = LoggerFactory.getLogger(Authenticator.class);

    /** Most attestations remembered as verified (~0.5 KB each). */
    private static final int MAX_VERIFIED_ATTESTATIONS = 10_000;

    /**
     * Every input of an attestation's verification: the signed string is built from the first three, so equal keys
     * verify alike. The signature is kept as sent (either case).
     */
    private record Attestation(String parentMemberPubkey, String sessionPubkey, long expiresAt, String signature) {
    }

    private final Broker broker;
    /** Attestations whose signature verified; only successes are kept. Thread-safe: read and filled on any loop. */
    private final Cache<Attestation, Boolean> verifiedAttestations;

    Authenticator(Broker broker) {
        this.broker = broker;
        Ticker ticker = () -> TimeUnit.MILLISECONDS.toNanos(broker.clock.millis());
        // Expiry and TTL are checked on every hello before this cache is consulted; the time bound only frees
        // entries that can no longer pass those checks.
        this.verifiedAttestations = Caffeine.newBuilder().ticker(ticker).executor(Runnable::run)
                .expireAfterWrite(broker.settings.attestationMaxMs(), TimeUnit.MILLISECONDS)
                .maximumSize(MAX_VERIFIED_ATTESTATIONS).build();
    }

    void authenticate(PeerSession s, Inbound in) {
        HelloRejection err = in.type == Inbound.Type.HELLO ? checkHello(in) : checkSessionHello(in);
        if (err != null) {
            // audited only for meshes this broker already serves, so random mesh ids cannot create chains
            reject(s, in, err, null, broker.existingMesh(in.meshId));
            return;
        }
        String meshId = in.meshId;
        String memberKey = in.type == Inbound.Type.HELLO ? in.pubkey.toLowerCase() : in.parentMemberPubkey;
        broker.directory.findByPubkey(meshId, memberKey).whenComplete((found, ex) -> {
            if (ex != null) {
                log.warn("member lookup failed for conn {}: {}", s.conn.id(), ex.toString());
                s.conn.execute(() -> {
                    s.conn.send(Frames.error("internal_error", "member lookup failed, try again", in));
                    s.conn.close(1011, "internal_error");
                    s.authFailed();
                });
                return;
            }
            onMember(s, in, found);
        });
    }

    private void onMember(PeerSession s, Inbound in, Optional<Member> found) {
        boolean hello = in.type == Inbound.Type.HELLO;
        if (found.isEmpty()) {
            MeshState existing = broker.existingMesh(in.meshId);
            reject(s, in, HelloRejection.UNAUTHORIZED, null, existing);
            return;
        }
        Member m = found.get();
        if (broker.isDeleted(in.meshId)) { // found in a lookup made before the mesh was deleted
            reject(s, in, HelloRejection.UNAUTHORIZED, null, null);
            return;
        }
        MeshState mesh = broker.mesh(in.meshId);
        if (m.revoked()) {
            reject(s, in, HelloRejection.REVOKED, m, mesh);
            return;
        }
        if (hello && !m.id().equals(in.memberId)) {
            reject(s, in, HelloRejection.MEMBER_ID_MISMATCH, m, mesh);
            return;
        }
        if (!hello && !m.id().equals(in.parentMemberId)) {
            reject(s, in, HelloRejection.PARENT_MEMBER_ID_MISMATCH, m, mesh);
            return;
        }
        s.mesh = mesh;
        mesh.loop.execute(() -> mesh.admit(s, in, m));
    }

    /** Sends the rejection frame and closes the socket; counts and audits it. Any thread. */
    void reject(PeerSession s, Inbound in, HelloRejection rejection, Member m, MeshState mesh) {
        String code = rejection.code();
        broker.metrics.connectionRejected(code);
        boolean session = in.type == Inbound.Type.SESSION_HELLO;
        String message = rejection == HelloRejection.REVOKED && m != null
                ? "You've been removed from \"" + m.meshName() + "\". Contact the mesh owner to rejoin."
                : (session ? "session_hello rejected: " : "hello rejected: ") + code;
        byte[] frame = Frames.error(code, message, null);
        log.info("conn {} {} rejected: {}", s.conn.id(), session ? "session_hello" : "hello", code);
        if (mesh != null) {
            mesh.auditHelloRejected(m, rejection);
        }
        s.conn.execute(() -> {
            s.authFailed();
            s.conn.send(frame);
            if (rejection == HelloRejection.REVOKED) {
                s.conn.close(4002, "banned");
            } else {
                s.conn.close(1008, code);
            }
        });
    }

    private boolean skewed(Long ts) {
        return ts == null || Math.abs(broker.clock.millis() - ts) > broker.settings.skewMs();
    }

    private HelloRejection checkHello(Inbound in) {
        // a non-string sessionPubkey (the decoder leaves it null) is present and not 64 hex: rejected, not ignored
        if ("sessionPubkey".equals(in.wrongTypeField)
                || (in.sessionPubkey != null && !in.sessionPubkey.isEmpty() && !Hex.isLowerHex(in.sessionPubkey, 64))) {
            return HelloRejection.BAD_SESSION_PUBKEY;
        }
        if (in.meshId == null || broker.atCapacity(in.meshId, in.sessionPubkey)) {
            // a hello without meshId cannot name a mesh; treat it as unauthorized below
            if (in.meshId != null) {
                return HelloRejection.CAPACITY;
            }
        }
        if (skewed(in.timestamp)) {
            return HelloRejection.TIMESTAMP_SKEW;
        }
        if (!Hex.isHex(in.pubkey, 64) || !Hex.isHex(in.signature, 128)) {
            return HelloRejection.MALFORMED;
        }
        if (in.meshId == null || in.memberId == null) {
            return HelloRejection.MALFORMED;
        }
        String canonical = in.meshId + "|" + in.memberId + "|" + in.pubkey + "|" + in.timestamp;
        if (!Ed25519.verify(in.pubkey, in.signature, canonical)) {
            return HelloRejection.BAD_SIGNATURE;
        }
        return null;
    }

    private HelloRejection checkSessionHello(Inbound in) {
        if (!Hex.isLowerHex(in.sessionPubkey, 64)) {
            return HelloRejection.BAD_SESSION_PUBKEY;
        }
        if (!Hex.isLowerHex(in.parentMemberPubkey, 64)) {
            return HelloRejection.BAD_PARENT_PUBKEY;
        }
        if (!in.hasAttestation || !in.sessionPubkey.equals(in.attSessionPubkey)
                || !in.parentMemberPubkey.equals(in.attParentMemberPubkey)) {
            return HelloRejection.ATTESTATION_MISMATCH;
        }
        if (in.meshId != null && broker.atCapacity(in.meshId, in.sessionPubkey)) {
            return HelloRejection.CAPACITY;
        }
        long now = broker.clock.millis();
        if (in.attExpiresAt == null) {
            return HelloRejection.MALFORMED;
        }
        if (in.attExpiresAt <= now) {
            return HelloRejection.EXPIRED;
        }
        if (in.attExpiresAt > now + broker.settings.attestationMaxMs()) {
            return HelloRejection.TTL_TOO_LONG;
        }
        if (!Hex.isHex(in.attSignature, 128)) {
            return HelloRejection.MALFORMED;
        }
        Attestation attestation = new Attestation(in.parentMemberPubkey, in.sessionPubkey, in.attExpiresAt,
                in.attSignature);
        if (verifiedAttestations.getIfPresent(attestation) == null) {
            String att = "claudemesh-session-attest|" + in.parentMemberPubkey + "|" + in.sessionPubkey + "|"
                    + in.attExpiresAt;
            if (!Ed25519.verify(in.parentMemberPubkey, in.attSignature, att)) {
                return HelloRejection.BAD_SIGNATURE;
            }
            verifiedAttestations.put(attestation, Boolean.TRUE);
        }
        if (skewed(in.timestamp)) {
            return HelloRejection.TIMESTAMP_SKEW;
        }
        if (!Hex.isHex(in.signature, 128) || in.meshId == null) {
            return HelloRejection.MALFORMED;
        }
        String hello = "claudemesh-session-hello|" + in.meshId + "|" + in.parentMemberPubkey + "|"
                + in.sessionPubkey + "|" + in.timestamp;
        if (!Ed25519.verify(in.sessionPubkey, in.signature, hello)) {
            return HelloRejection.BAD_SIGNATURE;
        }
        return null;
    }
}
