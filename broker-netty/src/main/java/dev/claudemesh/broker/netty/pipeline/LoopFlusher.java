package dev.claudemesh.broker.netty.pipeline;

import io.netty.util.concurrent.FastThreadLocal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Arrays;

/**
 * The flushes of one event loop's {@link NettyFanout} batches: the channels a batch wrote to are flushed together by
 * ONE task queued on the loop when the first of them was written, so every batch already queued by then shares that
 * flush (FlushConsolidationHandler's idea, per loop instead of per channel). Flushing directly at the end of each
 * batch would cost a {@code writev} per channel per fan-out when many fan-outs reach a loop in one turn.
 *
 * <p><b>Thread:</b> confined to its loop; one per loop thread ({@link #current()}).</p>
 */
final class LoopFlusher implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(LoopFlusher.class);
    private static final FastThreadLocal<LoopFlusher> PER_LOOP = new FastThreadLocal<>() {
        @Override
        protected LoopFlusher initialValue() {
            return new LoopFlusher();
        }
    };

    private NettyPeerConnection[] pending = new NettyPeerConnection[16];
    private int size;
    private boolean scheduled;

    private LoopFlusher() {
    }

    /** The flusher of the calling loop thread. */
    static LoopFlusher current() {
        return PER_LOOP.get();
    }

    /** Adds {@code c}, written on this loop and not flushed yet; the first one queues the flush task. */
    void add(NettyPeerConnection c) {
        if (size == pending.length) {
            pending = Arrays.copyOf(pending, size * 2);
        }
        pending[size++] = c;
        if (!scheduled) {
            scheduled = true;
            c.channel().eventLoop().execute(this);
        }
    }

    /** Flushes every channel added since the last run, once each. */
    @Override
    public void run() {
        scheduled = false;
        try {
            // size is read again each turn: a channel added while flushing is flushed here too
            for (int i = 0; i < size; i++) {
                try {
                    pending[i].flushBatch();
                } catch (RuntimeException e) {
                    log.error("conn {}: a fan-out flush failed", pending[i].id(), e);
                }
                pending[i] = null;
            }
        } finally {
            Arrays.fill(pending, 0, size, null);
            size = 0;
        }
    }
}
