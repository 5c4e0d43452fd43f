package dev.claudemesh.broker.core.model;

/**
 * A DM's {@code nonce} and {@code ciphertext}: the base64 text bytes exactly as the sender wrote them (US-ASCII),
 * never decoded or inspected. The broker routes them and stores them; it never logs them.
 *
 * <p>A payload may live outside the heap, in a pooled buffer
 * ({@link dev.claudemesh.broker.core.port.PayloadAllocator}), and is then reference counted: it starts with one
 * reference, {@link #retain()} adds one, {@link #release()} drops one, and the last release returns the memory to its
 * pool. Whoever holds a reference may read; nobody reads after
 * releasing. A DM's payload has two holders: the mesh's queue (until the DM is acked, expires or its mesh is deleted)
 * and the durable log (until the transaction that wrote it committed). A {@link #heap} payload ignores the counts:
 * reloaded rows, tests and cold paths use it.</p>
 *
 * <p>Thread-safety: reads and the counts are safe from any thread once the payload was handed over through a
 * happens-before edge (a queue, an executor); its bytes never change after it was made.</p>
 */
public abstract class Payload {

    /** Length of the nonce text in bytes. */
    public abstract int nonceLength();

    /** Length of the ciphertext text in bytes. */
    public abstract int ciphertextLength();

    /** Copies the nonce text into {@code dst} at {@code at}. */
    public abstract void getNonce(byte[] dst, int at);

    /** Copies the ciphertext text into {@code dst} at {@code at}. */
    public abstract void getCiphertext(byte[] dst, int at);

    /** Adds a reference (another holder will {@link #release()} it). Returns this. */
    public abstract Payload retain();

    /** Drops a reference; the last one frees the memory. */
    public abstract void release();

    /** The nonce text as a new array (cold paths and tests: a copy for a pooled payload). */
    public byte[] nonce() {
        byte[] out = new byte[nonceLength()];
        getNonce(out, 0);
        return out;
    }

    /** The ciphertext text as a new array (cold paths and tests: a copy for a pooled payload). */
    public byte[] ciphertext() {
        byte[] out = new byte[ciphertextLength()];
        getCiphertext(out, 0);
        return out;
    }

    /** A payload on the heap over these arrays (not copied; nobody may write to them afterwards). */
    public static Payload heap(byte[] nonce, byte[] ciphertext) {
        return new Heap(nonce, ciphertext);
    }

    /** No nonce, no ciphertext: a row stored born delivered, or a record of a fan-out. */
    public static final Payload EMPTY = heap(new byte[0], new byte[0]);

    /** Lengths only, never the bytes (SECURITY: no nonce or ciphertext in logs). */
    @Override
    public String toString() {
        return "Payload[" + nonceLength() + "+" + ciphertextLength() + " bytes]";
    }

    private static final class Heap extends Payload {
        private final byte[] nonce;
        private final byte[] ciphertext;

        Heap(byte[] nonce, byte[] ciphertext) {
            this.nonce = java.util.Objects.requireNonNull(nonce, "nonce");
            this.ciphertext = java.util.Objects.requireNonNull(ciphertext, "ciphertext");
        }

        @Override
        public int nonceLength() {
            return nonce.length;
        }

        @Override
        public int ciphertextLength() {
            return ciphertext.length;
        }

        @Override
        public void getNonce(byte[] dst, int at) {
            System.arraycopy(nonce, 0, dst, at, nonce.length);
        }

        @Override
        public void getCiphertext(byte[] dst, int at) {
            System.arraycopy(ciphertext, 0, dst, at, ciphertext.length);
        }

        @Override
        public Payload retain() {
            return this;
        }

        @Override
        public void release() {
        }
    }
}
