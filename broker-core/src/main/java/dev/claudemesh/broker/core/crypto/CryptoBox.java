package dev.claudemesh.broker.core.crypto;

import org.bouncycastle.crypto.engines.Salsa20Engine;
import org.bouncycastle.crypto.engines.XSalsa20Engine;
import org.bouncycastle.crypto.macs.Poly1305;
import org.bouncycastle.crypto.params.KeyParameter;
import org.bouncycastle.crypto.params.ParametersWithIV;
import org.bouncycastle.math.ec.rfc7748.X25519;
import org.bouncycastle.math.ec.rfc8032.Ed25519;

import java.math.BigInteger;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Objects;

/**
 * libsodium's {@code crypto_box} family, byte for byte, from BouncyCastle's building blocks: X25519
 * ({@code crypto_scalarmult}), HSalsa20 ({@code crypto_box_beforenm}), XSalsa20-Poly1305 ({@code crypto_secretbox}), and
 * the ed25519 → X25519 key conversions ({@code crypto_sign_ed25519_pk_to_curve25519},
 * {@code crypto_sign_ed25519_sk_to_curve25519}). The broker uses it for one thing: sealing a new topic's key for its
 * creator (PROTOCOL-MESH §8.7), which clients open with libsodium's {@code crypto_box_open_easy}.
 *
 * <p>Not on a hot path. Stateless and thread-safe. Callers own the arrays they pass and get; secrets should be
 * zeroed by the caller once used.</p>
 */
public final class CryptoBox {

    public static final int KEY_BYTES = 32;
    public static final int NONCE_BYTES = 24;
    public static final int MAC_BYTES = 16;

    /** 2^255 - 19. */
    private static final BigInteger P = BigInteger.TWO.pow(255).subtract(BigInteger.valueOf(19));
    private static final byte[] SIGMA = "expand 32-byte k".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final SecureRandom RANDOM = new SecureRandom();

    /** An X25519 key pair ({@code crypto_box_keypair}). */
    public record KeyPair(byte[] publicKey, byte[] secretKey) {
        public KeyPair {
            Objects.requireNonNull(publicKey, "publicKey");
            Objects.requireNonNull(secretKey, "secretKey");
        }
    }

    private CryptoBox() {
    }

    /** Random bytes from the shared CSPRNG. */
    public static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }

    /** A fresh X25519 key pair. */
    public static KeyPair keyPair() {
        byte[] sk = randomBytes(KEY_BYTES);
        byte[] pk = new byte[KEY_BYTES];
        X25519.scalarMultBase(sk, 0, pk, 0);
        return new KeyPair(pk, sk);
    }

    /**
     * {@code crypto_box_easy}: {@code message} encrypted and authenticated from {@code senderSecretKey} to
     * {@code recipientPublicKey} (X25519), as MAC (16 bytes) followed by the ciphertext.
     *
     * @throws IllegalArgumentException on wrong lengths, or when the shared secret is all zero (a low-order key, which
     *                                  libsodium refuses too)
     */
    public static byte[] boxEasy(byte[] message, byte[] nonce, byte[] recipientPublicKey, byte[] senderSecretKey) {
        requireLength(nonce, NONCE_BYTES, "nonce");
        byte[] k = beforeNm(recipientPublicKey, senderSecretKey);
        try {
            return secretboxEasy(message, nonce, k);
        } finally {
            Arrays.fill(k, (byte) 0);
        }
    }

    /** {@code crypto_box_open_easy}: the message, or null when it does not authenticate. */
    public static byte[] boxOpenEasy(byte[] box, byte[] nonce, byte[] senderPublicKey, byte[] recipientSecretKey) {
        requireLength(nonce, NONCE_BYTES, "nonce");
        byte[] k = beforeNm(senderPublicKey, recipientSecretKey);
        try {
            return secretboxOpenEasy(box, nonce, k);
        } finally {
            Arrays.fill(k, (byte) 0);
        }
    }

    /** {@code crypto_box_beforenm}: HSalsa20 of the X25519 shared secret, the secretbox key. */
    static byte[] beforeNm(byte[] publicKey, byte[] secretKey) {
        requireLength(publicKey, KEY_BYTES, "publicKey");
        requireLength(secretKey, KEY_BYTES, "secretKey");
        byte[] shared = new byte[KEY_BYTES];
        if (!X25519.calculateAgreement(secretKey, 0, publicKey, 0, shared, 0)) {
            throw new IllegalArgumentException("publicKey: a low-order point (expected: a usable X25519 key)");
        }
        try {
            return hsalsa20(shared, new byte[16]);
        } finally {
            Arrays.fill(shared, (byte) 0);
        }
    }

    /** {@code crypto_secretbox_easy} (XSalsa20-Poly1305): MAC followed by the ciphertext. */
    public static byte[] secretboxEasy(byte[] message, byte[] nonce, byte[] key) {
        requireLength(nonce, NONCE_BYTES, "nonce");
        requireLength(key, KEY_BYTES, "key");
        XSalsa20Engine cipher = new XSalsa20Engine();
        cipher.init(true, new ParametersWithIV(new KeyParameter(key), nonce));
        byte[] macKey = new byte[32];
        cipher.processBytes(new byte[32], 0, 32, macKey, 0); // the first 32 bytes of keystream: the one-time MAC key
        byte[] out = new byte[MAC_BYTES + message.length];
        cipher.processBytes(message, 0, message.length, out, MAC_BYTES);
        Poly1305 mac = new Poly1305();
        mac.init(new KeyParameter(macKey));
        mac.update(out, MAC_BYTES, message.length);
        mac.doFinal(out, 0);
        Arrays.fill(macKey, (byte) 0);
        return out;
    }

    /** {@code crypto_secretbox_open_easy}: the message, or null when the MAC does not match. */
    public static byte[] secretboxOpenEasy(byte[] box, byte[] nonce, byte[] key) {
        requireLength(nonce, NONCE_BYTES, "nonce");
        requireLength(key, KEY_BYTES, "key");
        if (box.length < MAC_BYTES) {
            return null;
        }
        XSalsa20Engine cipher = new XSalsa20Engine();
        cipher.init(false, new ParametersWithIV(new KeyParameter(key), nonce));
        byte[] macKey = new byte[32];
        cipher.processBytes(new byte[32], 0, 32, macKey, 0);
        Poly1305 mac = new Poly1305();
        mac.init(new KeyParameter(macKey));
        Arrays.fill(macKey, (byte) 0);
        int n = box.length - MAC_BYTES;
        mac.update(box, MAC_BYTES, n);
        byte[] expected = new byte[MAC_BYTES];
        mac.doFinal(expected, 0);
        if (!MessageDigest.isEqual(expected, Arrays.copyOf(box, MAC_BYTES))) {
            return null;
        }
        byte[] out = new byte[n];
        cipher.processBytes(box, MAC_BYTES, n, out, 0);
        return out;
    }

    /**
     * {@code crypto_sign_ed25519_pk_to_curve25519}: the X25519 public key (Montgomery u = (1 + y) / (1 - y)) of an
     * ed25519 public key, or null when it is not a valid point of the prime-order subgroup (libsodium refuses those
     * too).
     */
    public static byte[] ed25519PublicToX25519(byte[] edPublicKey) {
        if (edPublicKey == null || edPublicKey.length != 32 || !Ed25519.validatePublicKeyFull(edPublicKey, 0)) {
            return null;
        }
        byte[] le = edPublicKey.clone();
        le[31] &= 0x7F; // the sign bit of x
        BigInteger y = littleEndian(le);
        BigInteger one = BigInteger.ONE;
        BigInteger denominator = one.subtract(y).mod(P);
        if (denominator.signum() == 0) {
            return null;
        }
        BigInteger u = one.add(y).multiply(denominator.modInverse(P)).mod(P);
        return toLittleEndian32(u);
    }

    /**
     * {@code crypto_sign_ed25519_sk_to_curve25519}: the X25519 secret key of an ed25519 key given by its 32-byte seed
     * (SHA-512 of the seed, first half, clamped).
     */
    public static byte[] ed25519SeedToX25519(byte[] seed) {
        requireLength(seed, 32, "seed");
        byte[] h;
        try {
            h = MessageDigest.getInstance("SHA-512").digest(seed);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-512 unavailable", e);
        }
        byte[] sk = Arrays.copyOf(h, 32);
        Arrays.fill(h, (byte) 0);
        sk[0] &= (byte) 248;
        sk[31] &= 127;
        sk[31] |= 64;
        return sk;
    }

    /** HSalsa20 of a 32-byte key and a 16-byte input (the first step of XSalsa20 and of crypto_box_beforenm). */
    static byte[] hsalsa20(byte[] key, byte[] in16) {
        int[] state = new int[16];
        state[0] = le32(SIGMA, 0);
        state[5] = le32(SIGMA, 4);
        state[10] = le32(SIGMA, 8);
        state[15] = le32(SIGMA, 12);
        for (int i = 0; i < 4; i++) {
            state[1 + i] = le32(key, 4 * i);
            state[11 + i] = le32(key, 16 + 4 * i);
            state[6 + i] = le32(in16, 4 * i);
        }
        int[] x = new int[16];
        Salsa20Engine.salsaCore(20, state, x);
        // salsaCore adds the input words at the end (the Salsa20 feed-forward); HSalsa20 has none, so take it off
        int[] words = {0, 5, 10, 15, 6, 7, 8, 9};
        byte[] out = new byte[32];
        for (int i = 0; i < 8; i++) {
            int w = x[words[i]] - state[words[i]];
            out[4 * i] = (byte) w;
            out[4 * i + 1] = (byte) (w >>> 8);
            out[4 * i + 2] = (byte) (w >>> 16);
            out[4 * i + 3] = (byte) (w >>> 24);
        }
        Arrays.fill(state, 0);
        Arrays.fill(x, 0);
        return out;
    }

    private static int le32(byte[] b, int off) {
        return (b[off] & 0xFF) | (b[off + 1] & 0xFF) << 8 | (b[off + 2] & 0xFF) << 16 | (b[off + 3] & 0xFF) << 24;
    }

    private static BigInteger littleEndian(byte[] le) {
        byte[] be = new byte[le.length];
        for (int i = 0; i < le.length; i++) {
            be[i] = le[le.length - 1 - i];
        }
        return new BigInteger(1, be);
    }

    private static byte[] toLittleEndian32(BigInteger v) {
        byte[] be = v.toByteArray();
        byte[] out = new byte[32];
        for (int i = 0; i < 32 && i < be.length; i++) {
            out[i] = be[be.length - 1 - i];
        }
        return out;
    }

    private static void requireLength(byte[] b, int n, String name) {
        Objects.requireNonNull(b, name);
        if (b.length != n) {
            throw new IllegalArgumentException(name + ": " + b.length + " bytes (expected: " + n + ")");
        }
    }
}
