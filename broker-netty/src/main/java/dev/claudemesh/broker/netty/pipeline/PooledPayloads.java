package dev.claudemesh.broker.netty.pipeline;

import dev.claudemesh.broker.core.model.Payload;
import dev.claudemesh.broker.core.port.PayloadAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.util.concurrent.atomic.LongAdder;

/**
 * DM payloads in pooled direct buffers of the transport's allocator: a DM's nonce and ciphertext (~400 bytes for a
 * 256-byte message) cost no heap while the DM waits for its {@code client_ack} and its commit. Each payload is one
 * buffer holding the nonce text then the ciphertext text, and one small handle; {@link Payload}'s counting rules free
 * it when both holders (the mesh's queue and the durable log) released it. Thread-safe: the buffer's count is atomic,
 * and the pool takes buffers back from any thread.
 *
 * <p>When the pool cannot give direct memory (the JVM's direct-memory limit reached: a backlog of held DMs), the
 * payload goes on the heap instead, as before: the DM is still routed.</p>
 */
public final class PooledPayloads implements PayloadAllocator {

    private final ByteBufAllocator alloc;
    /** Payloads allocated here and not yet freed (the {@code broker_dm_payload_buffers} gauge). */
    private final LongAdder live;

    public PooledPayloads(ByteBufAllocator alloc, LongAdder live) {
        this.alloc = alloc;
        this.live = live;
    }

    @Override
    public Payload copy(byte[] nonce, int nonceOff, int nonceLen, byte[] ciphertext, int ciphertextOff,
                        int ciphertextLen) {
        ByteBuf buf;
        try {
            buf = alloc.directBuffer(nonceLen + ciphertextLen);
        } catch (OutOfMemoryError e) {
            return HEAP.copy(nonce, nonceOff, nonceLen, ciphertext, ciphertextOff, ciphertextLen);
        }
        buf.writeBytes(nonce, nonceOff, nonceLen).writeBytes(ciphertext, ciphertextOff, ciphertextLen);
        live.increment();
        return new Pooled(buf, nonceLen, live);
    }

    /**
     * One buffer: the nonce text at 0, the ciphertext text right after it. Once freed, a read fails instead of reaching
     * the buffer: the pool hands the same buffer object to its next user, so a read past the rules would otherwise
     * see another DM's bytes.
     */
    static final class Pooled extends Payload {
        private final ByteBuf buf;
        private final int nonceLen;
        private final LongAdder live;
        private volatile boolean freed;

        Pooled(ByteBuf buf, int nonceLen, LongAdder live) {
            this.buf = buf;
            this.nonceLen = nonceLen;
            this.live = live;
        }

        @Override
        public int nonceLength() {
            return nonceLen;
        }

        @Override
        public int ciphertextLength() {
            checkNotFreed();
            return buf.writerIndex() - nonceLen;
        }

        @Override
        public void getNonce(byte[] dst, int at) {
            checkNotFreed();
            buf.getBytes(0, dst, at, nonceLen);
        }

        @Override
        public void getCiphertext(byte[] dst, int at) {
            checkNotFreed();
            buf.getBytes(nonceLen, dst, at, buf.writerIndex() - nonceLen);
        }

        private void checkNotFreed() {
            if (freed) {
                throw new IllegalStateException("DM payload read after its last release");
            }
        }

        @Override
        public Payload retain() {
            checkNotFreed();
            buf.retain();
            return this;
        }

        @Override
        public void release() {
            checkNotFreed();
            if (buf.release()) {
                freed = true;
                live.decrement();
            }
        }

        /** The buffer's reference count (tests). */
        int refCnt() {
            return buf.refCnt();
        }
    }
}
