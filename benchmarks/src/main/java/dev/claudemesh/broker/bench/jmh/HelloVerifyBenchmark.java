package dev.claudemesh.broker.bench.jmh;

import com.google.crypto.tink.subtle.Ed25519Verify;
import dev.claudemesh.broker.core.crypto.Ed25519;
import dev.claudemesh.broker.core.crypto.Hex;
import dev.claudemesh.broker.core.envelope.EnvelopeDecoder;
import dev.claudemesh.broker.core.envelope.Inbound;
import com.goterl.lazysodium.SodiumJava;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.EdECPoint;
import java.security.spec.EdECPublicKeySpec;
import java.security.spec.NamedParameterSpec;
import java.util.concurrent.TimeUnit;

/**
 * The CPU cost of authenticating a {@code session_hello} (PROTOCOL §3.2): one ed25519 verification, and the
 * whole stateless part the broker runs on the socket's loop (decode, format checks, the attestation and the hello
 * signatures, as {@code Authenticator.checkSessionHello} does). This bounds connect-storm throughput per core.
 * {@code verifySignatureTink} and {@code verifySignatureJdk} run the same verification through the implementation the
 * broker used before BouncyCastle (Tink) and through the JDK's SunEC, for comparison; {@code verifySignatureLibsodium}
 * through libsodium's {@code crypto_sign_verify_detached} (native, lazysodium-java's bundled library over JNA), the
 * native binding issue 15 asked to measure.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class HelloVerifyBenchmark {

    private Samples.Hello hello;
    private String helloMessage;
    private String helloSignature;
    private PublicKey jdkSessionKey;
    private byte[] helloMessageBytes;
    private byte[] helloSignatureBytes;
    private SodiumJava sodium;

    @Setup
    public void setUp() {
        hello = Samples.sessionHello();
        Inbound in = EnvelopeDecoder.decode(hello.frame());
        helloMessage = "claudemesh-session-hello|" + in.meshId + "|" + in.parentMemberPubkey + "|" + in.sessionPubkey
                + "|" + in.timestamp;
        helloSignature = in.signature;
        helloMessageBytes = helloMessage.getBytes(StandardCharsets.UTF_8);
        helloSignatureBytes = Hex.decode(helloSignature);
        jdkSessionKey = jdkPublicKey(Hex.decode(hello.session().publicKeyHex()));
        sodium = new SodiumJava();
        if (!verifySignature() || !sessionHello() || !verifySignatureJdk() || !verifySignatureTink()
                || !verifySignatureLibsodium()) {
            throw new IllegalStateException("sample hello does not verify");
        }
    }

    /** Tink's ed25519, as {@code Ed25519.verify} called it before BouncyCastle (hex decoding included). */
    @Benchmark
    public boolean verifySignatureTink() {
        try {
            byte[] pub = Hex.decode(hello.session().publicKeyHex());
            byte[] sig = Hex.decode(helloSignature);
            new Ed25519Verify(pub).verify(sig, helloMessage.getBytes(StandardCharsets.UTF_8));
            return true;
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    /** libsodium's ed25519 through JNA (hex decoding included, as in {@link #verifySignature}). */
    @Benchmark
    public boolean verifySignatureLibsodium() {
        byte[] pub = Hex.decode(hello.session().publicKeyHex());
        byte[] sig = Hex.decode(helloSignature);
        byte[] msg = helloMessage.getBytes(StandardCharsets.UTF_8);
        return sodium.crypto_sign_verify_detached(sig, msg, msg.length, pub) == 0;
    }

    /** The JDK's own ed25519 (SunEC, JDK 15+) for comparison: same key, message and signature. */
    @Benchmark
    public boolean verifySignatureJdk() {
        try {
            Signature s = Signature.getInstance("Ed25519");
            s.initVerify(jdkSessionKey);
            s.update(helloMessageBytes);
            return s.verify(helloSignatureBytes);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    /** An RFC 8032 encoded public key (little-endian y, x's parity in the top bit) as a JDK {@link PublicKey}. */
    static PublicKey jdkPublicKey(byte[] encoded) {
        byte[] le = encoded.clone();
        boolean xOdd = (le[31] & 0x80) != 0;
        le[31] &= 0x7F;
        byte[] be = new byte[32];
        for (int i = 0; i < 32; i++) {
            be[i] = le[31 - i];
        }
        try {
            return KeyFactory.getInstance("Ed25519").generatePublic(
                    new EdECPublicKeySpec(NamedParameterSpec.ED25519, new EdECPoint(xOdd, new BigInteger(1, be))));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** One verification as the broker runs it ({@code Ed25519.verify}: BouncyCastle, hex decoding included). */
    @Benchmark
    public boolean verifySignature() {
        return Ed25519.verify(hello.session().publicKeyHex(), helloSignature, helloMessage);
    }

    /** Decode + every stateless check of a session_hello, both signatures included. */
    @Benchmark
    public boolean sessionHello() {
        Inbound in = EnvelopeDecoder.decode(hello.frame(), 0, hello.frame().length);
        if (!Hex.isLowerHex(in.sessionPubkey, 64) || !Hex.isLowerHex(in.parentMemberPubkey, 64)
                || !in.hasAttestation || !in.sessionPubkey.equals(in.attSessionPubkey)
                || !in.parentMemberPubkey.equals(in.attParentMemberPubkey) || in.attExpiresAt == null
                || !Hex.isHex(in.attSignature, 128) || !Hex.isHex(in.signature, 128)) {
            return false;
        }
        String att = "claudemesh-session-attest|" + in.parentMemberPubkey + "|" + in.sessionPubkey + "|"
                + in.attExpiresAt;
        if (!Ed25519.verify(in.parentMemberPubkey, in.attSignature, att)) {
            return false;
        }
        String msg = "claudemesh-session-hello|" + in.meshId + "|" + in.parentMemberPubkey + "|"
                + in.sessionPubkey + "|" + in.timestamp;
        return Ed25519.verify(in.sessionPubkey, in.signature, msg);
    }
}
