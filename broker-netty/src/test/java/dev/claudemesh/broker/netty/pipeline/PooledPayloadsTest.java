package dev.claudemesh.broker.netty.pipeline;

import dev.claudemesh.broker.core.model.Payload;
import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.LongAdder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A DM's payload in a pooled buffer: the exact bytes, the counting rules, the gauge, the heap fallback. */
class PooledPayloadsTest {

    private final LongAdder live = new LongAdder();

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void shouldCopyBothRangesOutOfTheFrameAndGiveThemBackExactly() {
        byte[] frame = ascii("{\"nonce\":\"bm9uY2U=\",\"ciphertext\":\"Y2lwaGVydGV4dA==\"}");
        Payload p = new PooledPayloads(PooledByteBufAllocator.DEFAULT, live).copy(frame, 10, 8, frame, 34, 16);
        java.util.Arrays.fill(frame, (byte) 'x'); // the transport reuses the frame's array at once

        assertThat(p.nonceLength()).isEqualTo(8);
        assertThat(p.ciphertextLength()).isEqualTo(16);
        assertThat(new String(p.nonce(), StandardCharsets.US_ASCII)).isEqualTo("bm9uY2U=");
        assertThat(new String(p.ciphertext(), StandardCharsets.US_ASCII)).isEqualTo("Y2lwaGVydGV4dA==");
        byte[] into = new byte[30];
        p.getCiphertext(into, 3);
        assertThat(new String(into, 3, 16, StandardCharsets.US_ASCII)).isEqualTo("Y2lwaGVydGV4dA==");
        assertThat(p.toString()).doesNotContain("bm9u").doesNotContain("Y2lw"); // never the bytes in a log
        p.release();
    }

    @Test
    void shouldFreeTheBufferAtTheLastOfTwoReleasesOnly() {
        PooledPayloads payloads = new PooledPayloads(PooledByteBufAllocator.DEFAULT, live);
        PooledPayloads.Pooled p = (PooledPayloads.Pooled) payloads.copy(ascii("AA=="), 0, 4, ascii("AQ=="), 0, 4)
                .retain(); // the queue's and the log's
        assertThat(live.sum()).isEqualTo(1);

        p.release();
        assertThat(p.refCnt()).isEqualTo(1);
        assertThat(new String(p.ciphertext(), StandardCharsets.US_ASCII)).isEqualTo("AQ==");
        assertThat(live.sum()).isEqualTo(1);

        p.release();
        assertThat(p.refCnt()).isZero();
        assertThat(live.sum()).isZero();
        // freed: neither a read nor another release reaches the buffer (the pool may have handed it on already)
        assertThatThrownBy(() -> p.getCiphertext(new byte[8], 0)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(p::release).isInstanceOf(IllegalStateException.class);
        assertThat(live.sum()).isZero();
    }

    @Test
    void shouldFallBackToTheHeapWhenTheAllocatorHasNoDirectMemory() {
        ByteBufAllocator full = new AbstractByteBufAllocator() {
            @Override
            protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
                return Unpooled.buffer(initialCapacity, maxCapacity);
            }

            @Override
            protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
                throw new OutOfMemoryError("direct buffer memory"); // what Netty throws past the direct-memory limit
            }

            @Override
            public boolean isDirectBufferPooled() {
                return true;
            }
        };
        Payload p = new PooledPayloads(full, live).copy(ascii("AA=="), 0, 4, ascii("Y2lw"), 0, 4);

        assertThat(p).isNotInstanceOf(PooledPayloads.Pooled.class);
        assertThat(new String(p.nonce(), StandardCharsets.US_ASCII)).isEqualTo("AA==");
        assertThat(live.sum()).isZero();
        p.retain().release();
        p.release(); // counting is a no-op on the heap
        assertThat(new String(p.ciphertext(), StandardCharsets.US_ASCII)).isEqualTo("Y2lw");
    }
}
