package dev.claudemesh.broker.core;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.spec.ChaCha20ParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Random bytes for ids from a ChaCha20 keystream: each refill of {@value #BLOCK} bytes runs the JDK's ChaCha20 under a
 * fresh 256-bit key and 96-bit nonce drawn from {@link SecureRandom}, so a key is never used twice and one
 * {@code SecureRandom} call serves about a hundred ids instead of one (the system generator takes a process-wide lock
 * and mixes its state on every call: it showed in the hot path's profile). Bytes handed out are wiped from the buffer,
 * so a later heap dump does not reveal ids already issued. The ChaCha20 keystream under a secret random key is a
 * standard CSPRNG construction (the one behind OpenBSD's {@code arc4random} and Linux's {@code getrandom}).
 * One instance per thread ({@link #current()}); not thread-safe itself.
 */
final class KeystreamRandom {

    static final int BLOCK = 4096;
    private static final ThreadLocal<KeystreamRandom> LOCAL = ThreadLocal.withInitial(KeystreamRandom::new);

    private final SecureRandom seed = new SecureRandom();
    /** The thread's work array for an id's characters ({@link Ids#newId}), so that an id costs only its String. */
    final byte[] idScratch = new byte[32];
    private final byte[] zeros = new byte[BLOCK];
    private final byte[] buf = new byte[BLOCK];
    private final byte[] key = new byte[32];
    private final byte[] nonce = new byte[12];
    private final Cipher cipher;
    private int pos = BLOCK;

    private KeystreamRandom() {
        try {
            cipher = Cipher.getInstance("ChaCha20");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK has no ChaCha20 cipher", e);
        }
    }

    /** This thread's generator. */
    static KeystreamRandom current() {
        return LOCAL.get();
    }

    /** The next random byte, 0..255. */
    int nextByte() {
        if (pos == BLOCK) {
            refill();
        }
        int v = buf[pos] & 0xFF;
        buf[pos++] = 0;
        return v;
    }

    /** Fills {@code out[off..off+len)} with random bytes. */
    void nextBytes(byte[] out, int off, int len) {
        while (len > 0) {
            if (pos == BLOCK) {
                refill();
            }
            int n = Math.min(len, BLOCK - pos);
            System.arraycopy(buf, pos, out, off, n);
            Arrays.fill(buf, pos, pos + n, (byte) 0);
            pos += n;
            off += n;
            len -= n;
        }
    }

    private void refill() {
        seed.nextBytes(key);
        seed.nextBytes(nonce);
        try {
            cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "ChaCha20"), new ChaCha20ParameterSpec(nonce, 1));
            int n = cipher.doFinal(zeros, 0, BLOCK, buf, 0);
            if (n != BLOCK) {
                throw new IllegalStateException("ChaCha20 gave " + n + " bytes, not " + BLOCK);
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("ChaCha20 keystream failed", e);
        } finally {
            Arrays.fill(key, (byte) 0);
        }
        pos = 0;
    }
}
