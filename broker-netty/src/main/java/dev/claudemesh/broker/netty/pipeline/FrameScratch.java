package dev.claudemesh.broker.netty.pipeline;

import io.netty.util.concurrent.FastThreadLocal;

/**
 * One reused array per event-loop thread for the bytes of an inbound WebSocket frame (the pool's frames are direct
 * buffers; the decoders read arrays). Borrowed for one {@code onFrame} call and given back after it: a frame read
 * while the array is out (re-entry) gets a fresh one, and frames larger than {@link #KEEP_AT_MOST} are not kept.
 */
final class FrameScratch {

    /** Frames up to this size reuse the array; a DM's send is ~0.6 KB for 256 bytes of ciphertext. */
    static final int KEEP_AT_MOST = 64 * 1024;

    private static final FastThreadLocal<byte[][]> SCRATCH = new FastThreadLocal<>() {
        @Override
        protected byte[][] initialValue() {
            return new byte[1][];
        }
    };

    private FrameScratch() {
    }

    /** An array of at least {@code len} bytes, this thread's unless it is out or too small to keep. */
    static byte[] borrow(int len) {
        if (len > KEEP_AT_MOST) {
            return new byte[len];
        }
        byte[][] slot = SCRATCH.get();
        byte[] a = slot[0];
        slot[0] = null;
        if (a == null || a.length < len) {
            a = new byte[Math.max(len, a == null ? 4096 : Math.min(KEEP_AT_MOST, a.length * 2))];
        }
        return a;
    }

    /** Takes back an array from {@link #borrow} (null: nothing was borrowed). */
    static void giveBack(byte[] a) {
        if (a == null || a.length > KEEP_AT_MOST) {
            return;
        }
        SCRATCH.get()[0] = a;
    }
}
