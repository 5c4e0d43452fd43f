package dev.claudemesh.broker.netty.http;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.claudemesh.broker.core.Clock;
import dev.claudemesh.broker.core.audit.AuditChain;
import dev.claudemesh.broker.core.crypto.Ed25519;
import dev.claudemesh.broker.core.crypto.Hex;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;

import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * The signed credential of the member API (PROTOCOL-MESH §3.6 [fix]: the original trusted a bare {@code X-Member-Id}
 * header and served the roster to anyone). A request carries three headers:
 * <pre>
 * X-Member-Id:        the caller's member id
 * X-Member-Timestamp: epoch milliseconds, within the hello skew (±60 s) of the broker's clock
 * X-Member-Signature: 128 hex, the ed25519 signature by the member's key over
 *                     claudemesh-member-api|&lt;METHOD&gt;|&lt;path&gt;|&lt;memberId&gt;|&lt;timestamp&gt;|&lt;sha256 hex of the body&gt;
 * </pre>
 * The path is the request path as sent, without the query ({@code /mesh/<meshId>/members}); the body of a
 * {@code GET} is empty. So a signature is bound to one method, path, body and caller, the mesh comes from the path and
 * the member must be a non-revoked member of it, and a signature is accepted once ({@link #firstUse}): a captured
 * request cannot be replayed, even within the skew. It is the same key and the same kind of proof as the
 * {@code hello} (PROTOCOL §3.1). The claudemesh CLI 1.37 sends only {@code X-Member-Id} and cannot produce it.
 *
 * <p>Thread-safe: parsing is stateless; the replay cache is a Caffeine cache.</p>
 */
final class MemberCredential {

    static final String MEMBER_ID = "X-Member-Id";
    static final String TIMESTAMP = "X-Member-Timestamp";
    static final String SIGNATURE = "X-Member-Signature";
    /** The text of a 401 for a request without the credential. */
    static final String REQUIRED = "signed member credential required: " + MEMBER_ID + ", " + TIMESTAMP + ", "
            + SIGNATURE;
    /** Signatures remembered for replay detection; beyond it the oldest are dropped. */
    private static final int MAX_REMEMBERED = 100_000;

    /** Why a credential was refused: the code after {@code credential rejected: } in the 401 body. */
    enum Rejection {
        MISSING, MALFORMED, TIMESTAMP_SKEW, UNAUTHORIZED, BAD_SIGNATURE, REPLAYED;

        String code() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** The 401 body's message. */
        String message() {
            return this == MISSING ? REQUIRED : "credential rejected: " + code();
        }
    }

    /**
     * A credential read from a request, not yet verified.
     *
     * @param memberId    the claimed caller
     * @param signedText  the text its signature must cover
     * @param signature   128 hex
     */
    record Claim(String memberId, String signedText, String signature) {
    }

    /** A claim, or why there is none. */
    record Parsed(Claim claim, Rejection rejection) {
    }

    private final Clock clock;
    private final long skewMs;
    private final Cache<String, Boolean> seen;

    MemberCredential(Clock clock, long skewMs) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.skewMs = skewMs;
        Ticker ticker = () -> TimeUnit.MILLISECONDS.toNanos(clock.millis());
        // a signature outside the skew is refused anyway: remember each for twice the skew
        this.seen = Caffeine.newBuilder().ticker(ticker).executor(Runnable::run)
                .expireAfterWrite(2 * skewMs, TimeUnit.MILLISECONDS).maximumSize(MAX_REMEMBERED).build();
    }

    /** Reads the credential of {@code x} and checks its form and time. Event loop (it reads the body). */
    Parsed parse(HttpExchange x) {
        String memberId = x.header(MEMBER_ID);
        String ts = x.header(TIMESTAMP);
        String signature = x.header(SIGNATURE);
        if (memberId == null || ts == null || signature == null) {
            return new Parsed(null, Rejection.MISSING);
        }
        long timestamp;
        try {
            timestamp = Long.parseLong(ts.trim());
        } catch (NumberFormatException e) {
            return new Parsed(null, Rejection.MALFORMED);
        }
        if (memberId.isEmpty() || !Hex.isHex(signature, 128)) {
            return new Parsed(null, Rejection.MALFORMED);
        }
        if (Math.abs(clock.millis() - timestamp) > skewMs) {
            return new Parsed(null, Rejection.TIMESTAMP_SKEW);
        }
        return new Parsed(new Claim(memberId, signedText(x.method().name(), x.path(), memberId, timestamp,
                bodySha256(x.body())), signature), null);
    }

    /** The text a member signs (see the class comment). */
    static String signedText(String method, String path, String memberId, long timestamp, String bodySha256Hex) {
        return "claudemesh-member-api|" + method + "|" + path + "|" + memberId + "|" + timestamp + "|" + bodySha256Hex;
    }

    static String bodySha256(ByteBuf body) {
        return AuditChain.sha256Hex(ByteBufUtil.getBytes(body, body.readerIndex(), body.readableBytes(), false));
    }

    /** True when {@code claim}'s signature verifies with {@code memberPubkey}. Any thread. */
    static boolean verifies(Claim claim, String memberPubkey) {
        return Ed25519.verify(memberPubkey, claim.signature(), claim.signedText());
    }

    /** True the first time a (verified) signature is presented; false for a replay. Any thread. */
    boolean firstUse(Claim claim) {
        return seen.asMap().putIfAbsent(claim.signature().toLowerCase(Locale.ROOT), Boolean.TRUE) == null;
    }
}
