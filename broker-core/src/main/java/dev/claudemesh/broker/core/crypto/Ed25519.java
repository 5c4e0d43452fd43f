package dev.claudemesh.broker.core.crypto;

import com.google.crypto.tink.subtle.Ed25519Sign;
import com.google.crypto.tink.subtle.Ed25519Verify;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;

/** ed25519 detached signatures over UTF-8 canonical strings, via Tink. Stateless and thread-safe. */
public final class Ed25519 {

    private Ed25519() {
    }

    /**
     * Verifies a detached signature. {@code pubkeyHex} is 64 hex chars, {@code signatureHex} 128 hex chars
     * (either case; callers check the format first). Returns false on any mismatch or bad input.
     */
    public static boolean verify(String pubkeyHex, String signatureHex, String message) {
        try {
            byte[] pub = Hex.decode(pubkeyHex);
            byte[] sig = Hex.decode(signatureHex);
            if (pub.length != 32 || sig.length != 64) {
                return false;
            }
            new Ed25519Verify(pub).verify(sig, message.getBytes(StandardCharsets.UTF_8));
            return true;
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return false;
        }
    }

    /** A key pair; {@code secretKey} is libsodium's 64-byte form (seed then public key). For tests and tools. */
    public record KeyPair(String publicKeyHex, byte[] seed) {
        /** libsodium's 64-byte secret key: seed || public key, as 128 hex chars. */
        public String secretKeyHex() {
            return Hex.encode(seed) + publicKeyHex;
        }
    }

    /** Generates a fresh key pair. */
    public static KeyPair generate() {
        try {
            Ed25519Sign.KeyPair kp = Ed25519Sign.KeyPair.newKeyPair();
            return new KeyPair(Hex.encode(kp.getPublicKey()), kp.getPrivateKey());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Derives the key pair of a 32-byte seed. */
    public static KeyPair fromSeed(byte[] seed) {
        try {
            Ed25519Sign.KeyPair kp = Ed25519Sign.KeyPair.newKeyPairFromSeed(seed);
            return new KeyPair(Hex.encode(kp.getPublicKey()), kp.getPrivateKey());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Signs the UTF-8 bytes of {@code message} with the key of {@code seed}; returns 128 lowercase hex. */
    public static String sign(byte[] seed, String message) {
        try {
            return Hex.encode(new Ed25519Sign(seed).sign(message.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
