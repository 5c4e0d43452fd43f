package dev.claudemesh.broker.netty.pipeline;

import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.FastThreadLocal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Arrays;
import java.util.concurrent.RejectedExecutionException;

/**
 * Frames written from a thread that is no event loop (a durable writer's, running the commit callbacks of one batch:
 * the {@code ack}s of its DMs), gathered per destination loop while {@link #batched} runs and handed over at its end
 * as ONE task per loop, whose channels that loop's {@link LoopFlusher} flushes once each. Written one by one, each ack
 * cost a task (a lambda and a queue entry) on its socket's loop, plus one more for its flush. Outside
 * {@link #batched}, or on an event loop, nothing is gathered: {@link NettyPeerConnection} writes as before.
 *
 * <p><b>Thread:</b> one instance per thread ({@link #current()}), used only by it; a loop's batch is its loop's once
 * handed over.</p>
 */
public final class ForeignWrites {

    private static final Logger log = LoggerFactory.getLogger(ForeignWrites.class);
    private static final FastThreadLocal<ForeignWrites> PER_THREAD = new FastThreadLocal<>() {
        @Override
        protected ForeignWrites initialValue() {
            return new ForeignWrites();
        }
    };

    private EventLoop[] loops = new EventLoop[4];
    private Batch[] batches = new Batch[4];
    private int loopCount;
    private boolean open;

    private ForeignWrites() {
    }

    /**
     * Runs {@code callbacks} (on the calling thread) with its writes to other threads' channels gathered, then hands
     * them over, also when a callback threw. Nested calls gather into the outer one.
     */
    public static void batched(Runnable callbacks) {
        ForeignWrites w = PER_THREAD.get();
        if (w.open) {
            callbacks.run();
            return;
        }
        w.open = true;
        try {
            callbacks.run();
        } finally {
            w.open = false;
            w.finish();
        }
    }

    /** The calling thread's gatherer while {@link #batched} runs on it; null otherwise. */
    static ForeignWrites current() {
        ForeignWrites w = PER_THREAD.getIfExists();
        return w != null && w.open ? w : null;
    }

    /** Gathers {@code payload} (owned from now on: written, or released when dropped) for {@code c}'s loop. */
    void add(NettyPeerConnection c, ByteBuf payload) {
        EventLoop loop = c.channel().eventLoop();
        Batch b = null;
        for (int i = 0; i < loopCount; i++) {
            if (loops[i] == loop) {
                b = batches[i];
                break;
            }
        }
        if (b == null) {
            if (loopCount == loops.length) {
                loops = Arrays.copyOf(loops, loopCount * 2);
                batches = Arrays.copyOf(batches, loopCount * 2);
            }
            b = new Batch();
            loops[loopCount] = loop;
            batches[loopCount] = b;
            loopCount++;
        }
        b.add(c, payload);
    }

    private void finish() {
        for (int i = 0; i < loopCount; i++) {
            Batch b = batches[i];
            batches[i] = null;
            EventLoop loop = loops[i];
            loops[i] = null;
            try {
                loop.execute(b);
            } catch (RejectedExecutionException e) {
                b.discard(); // the loop is shutting down and its sockets with it: dropped, as a single write would be
            }
        }
        loopCount = 0;
    }

    /** The frames for one loop's channels: filled by the gathering thread, then run on that loop. */
    private static final class Batch implements Runnable {

        private NettyPeerConnection[] conns = new NettyPeerConnection[16];
        private ByteBuf[] frames = new ByteBuf[16];
        private int size;

        void add(NettyPeerConnection c, ByteBuf frame) {
            if (size == conns.length) {
                conns = Arrays.copyOf(conns, size * 2);
                frames = Arrays.copyOf(frames, size * 2);
            }
            conns[size] = c;
            frames[size] = frame;
            size++;
        }

        @Override
        public void run() {
            try {
                for (int i = 0; i < size; i++) {
                    ByteBuf f = frames[i];
                    frames[i] = null; // handed to the write, which releases it on every path
                    try {
                        conns[i].writeInBatchOwned(f);
                    } catch (RuntimeException e) {
                        log.error("conn {}: a gathered write failed", conns[i].id(), e);
                    }
                }
            } finally {
                discard(); // nothing left unless an Error stopped the loop above
            }
        }

        void discard() {
            for (int i = 0; i < size; i++) {
                if (frames[i] != null) {
                    frames[i].release();
                    frames[i] = null;
                }
                conns[i] = null;
            }
            size = 0;
        }
    }
}
