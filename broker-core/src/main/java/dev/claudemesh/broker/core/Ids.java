package dev.claudemesh.broker.core;

import java.security.SecureRandom;

/** Generated ids: 32 chars {@code [0-9A-Za-z]} from a CSPRNG (PROTOCOL §1). Thread-safe. */
public final class Ids {

    private static final char[] ALPHABET =
            "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".toCharArray();
    private static final ThreadLocal<SecureRandom> RANDOM = ThreadLocal.withInitial(SecureRandom::new);

    private Ids() {
    }

    /** A fresh 32-character alphanumeric id. */
    public static String newId() {
        SecureRandom r = RANDOM.get();
        byte[] bytes = new byte[32];
        r.nextBytes(bytes);
        char[] out = new char[32];
        for (int i = 0; i < 32; i++) {
            // 62 does not divide 256: reject the top values to stay uniform.
            int v = bytes[i] & 0xFF;
            while (v >= 248) {
                v = r.nextInt(256);
            }
            out[i] = ALPHABET[v % 62];
        }
        return new String(out);
    }

    /** True when {@code s} looks like a generated id. */
    public static boolean isId(String s) {
        if (s == null || s.length() != 32) {
            return false;
        }
        for (int i = 0; i < 32; i++) {
            char c = s.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
                return false;
            }
        }
        return true;
    }
}
