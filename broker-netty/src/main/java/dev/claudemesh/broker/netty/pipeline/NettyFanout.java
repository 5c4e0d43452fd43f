package dev.claudemesh.broker.netty.pipeline;

import dev.claudemesh.broker.core.envelope.BinaryTranscoder;
import dev.claudemesh.broker.core.envelope.WireFormat;
import dev.claudemesh.broker.core.port.Fanout;
import dev.claudemesh.broker.core.port.PeerConnection;
import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Arrays;
import java.util.concurrent.RejectedExecutionException;

/**
 * The {@link Fanout} of one {@link EventLoopMeshLoop}: the frames of a fan-out are grouped by the event loop of
 * their channel, and {@link #finish()} hands each other loop ONE task that writes all of its frames; the frames for
 * channels of the calling loop are written inline. The channels written are flushed by their loop's
 * {@link LoopFlusher}: one task per loop, queued behind the batch, so the fan-outs queued together share one flush
 * per channel. Sending one by one cost a cross-thread task per recipient plus one more per channel for its flush,
 * and a broadcast was bound by those hops (ARCHITECTURE "Fan-out batching").
 *
 * <p><b>Ordering:</b> a connection belongs to one loop. The batch for another loop is submitted by {@code finish()}
 * on the calling thread, into the same FIFO task queue as the tasks of {@link NettyPeerConnection#sendEncoded} from
 * that thread, so a frame sent before the fan-out's {@code finish()} goes out before it and one sent after goes out
 * after it. The calling loop's own channels are written at {@code finish()}, in place, as a direct send would be.</p>
 *
 * <p><b>Encoded once:</b> recipients that get the same {@code byte[]} in the same encoding share ONE complete
 * WebSocket frame ({@link SharedFrame}, from the second such recipient on): each batch entry holds a reference of it
 * and its channel writes a duplicate, which Netty's frame encoder passes through untouched. The first recipient of an
 * array, and any frame seen once, take the ordinary path ({@link NettyPeerConnection#writeInBatch(byte[])}).</p>
 *
 * <p><b>Thread:</b> the loop that owns it. The object is reused from one fan-out to the next (no allocation but one
 * task and its two arrays per other loop touched); a fan-out begun while this one is being finished (from a write's
 * side effect) gets a fresh instance ({@link #begin()}). Connections of other transports are sent to directly.</p>
 */
final class NettyFanout implements Fanout {

    private static final Logger log = LoggerFactory.getLogger(NettyFanout.class);
    private static final int FIRST_CAPACITY = 16;

    /** The frames for channels of the calling loop; written inline and cleared by {@link #finish()}. */
    private final Batch local = new Batch(FIRST_CAPACITY);
    /** The other loops seen so far (stable slots), their batch of the fan-out under way (null: none yet). */
    private EventLoop[] loops = new EventLoop[4];
    private Batch[] batches = new Batch[4];
    /** Per slot, the size of its last batch: the next one starts that large. */
    private int[] lastSizes = new int[4];
    private int loopCount;
    private boolean finishing;
    /** The last JSON frame converted for a binary connection and its conversion, within one fan-out. */
    private byte[] lastJson;
    private byte[] lastBinary;
    /** The payload last queued per encoding and, once a second recipient got it, its frame encoded once. */
    private final SharedFrame sharedText = new SharedFrame(false);
    private final SharedFrame sharedBinary = new SharedFrame(true);

    /** This object when it is free (an abandoned fan-out is finished first), a fresh one while it is finishing. */
    Fanout begin() {
        if (finishing) {
            return new NettyFanout();
        }
        finish(); // nothing queued, unless a fan-out was left unfinished by a failure: its frames still go out
        return this;
    }

    @Override
    public void send(PeerConnection to, byte[] utf8Json) {
        if (!(to instanceof NettyPeerConnection c)) {
            to.send(utf8Json);
            return;
        }
        if (c.closing()) {
            return;
        }
        if (c.format() == WireFormat.BINARY) {
            // converted on the caller's thread, as NettyPeerConnection#send does; once per fan-out
            if (utf8Json != lastJson) {
                lastBinary = BinaryTranscoder.toBinary(utf8Json);
                lastJson = utf8Json;
            }
            queue(c, lastBinary);
        } else {
            queue(c, utf8Json);
        }
    }

    @Override
    public void sendEncoded(PeerConnection to, byte[] frame) {
        if (!(to instanceof NettyPeerConnection c)) {
            to.sendEncoded(frame);
            return;
        }
        if (!c.closing()) {
            queue(c, frame);
        }
    }

    /** Queues {@code frame} (in {@code c}'s encoding) for {@code c}: the array, or a reference of its shared frame. */
    private void queue(NettyPeerConnection c, byte[] frame) {
        SharedFrame slot = c.format() == WireFormat.BINARY ? sharedBinary : sharedText;
        ByteBuf shared = slot.share(frame, c.channel().alloc());
        Object entry = shared != null ? shared : frame;
        EventLoop loop = c.channel().eventLoop();
        if (loop.inEventLoop()) {
            local.add(c, entry);
        } else {
            batchFor(loop).add(c, entry);
        }
    }

    private Batch batchFor(EventLoop loop) {
        for (int i = 0; i < loopCount; i++) {
            if (loops[i] == loop) {
                Batch b = batches[i];
                if (b == null) {
                    b = new Batch(Math.max(FIRST_CAPACITY, lastSizes[i]));
                    batches[i] = b;
                }
                return b;
            }
        }
        if (loopCount == loops.length) {
            loops = Arrays.copyOf(loops, loopCount * 2);
            batches = Arrays.copyOf(batches, loopCount * 2);
            lastSizes = Arrays.copyOf(lastSizes, loopCount * 2);
        }
        Batch b = new Batch(FIRST_CAPACITY);
        loops[loopCount] = loop;
        batches[loopCount] = b;
        loopCount++;
        return b;
    }

    @Override
    public void finish() {
        finishing = true;
        try {
            for (int i = 0; i < loopCount; i++) {
                Batch b = batches[i];
                if (b == null) {
                    continue;
                }
                batches[i] = null; // handed over: that loop owns it now
                lastSizes[i] = b.size;
                try {
                    loops[i].execute(b);
                } catch (RejectedExecutionException e) {
                    // that loop is shutting down and its sockets with it: the frames are dropped, as a send's would be
                    b.discard();
                }
            }
            local.run();
        } finally {
            lastJson = null;
            lastBinary = null;
            sharedText.clear(); // the entries keep their own references
            sharedBinary.clear();
            finishing = false;
        }
    }

    /**
     * The frames of one fan-out for the channels of one loop. Filled by the fan-out's thread, run on that loop. An
     * entry is a {@code byte[]} or a {@link SharedFrame} buffer whose reference it owns until its write takes it over.
     */
    private static final class Batch implements Runnable {

        private NettyPeerConnection[] conns;
        private Object[] frames;
        private int size;

        Batch(int capacity) {
            conns = new NettyPeerConnection[capacity];
            frames = new Object[capacity];
        }

        void add(NettyPeerConnection c, Object frame) {
            if (size == conns.length) {
                conns = Arrays.copyOf(conns, size * 2);
                frames = Arrays.copyOf(frames, size * 2);
            }
            conns[size] = c;
            frames[size] = frame;
            size++;
        }

        /** Writes every frame, each with the connection's slow-consumer check; the loop's flusher flushes them. */
        @Override
        public void run() {
            int n = size;
            try {
                for (int i = 0; i < n; i++) {
                    Object f = frames[i];
                    frames[i] = null; // handed to the write, which releases a shared frame's reference on every path
                    try {
                        if (f instanceof ByteBuf shared) {
                            conns[i].writeInBatch(shared);
                        } else {
                            conns[i].writeInBatch((byte[]) f);
                        }
                    } catch (RuntimeException e) {
                        // one connection's failure must not cost the others their frame
                        log.error("conn {}: a fan-out write failed", conns[i].id(), e);
                    }
                }
            } finally {
                discard(); // nothing left unless an Error stopped the loop above
            }
        }

        /** Drops the entries not written, releasing their references of shared frames. */
        void discard() {
            for (int i = 0; i < size; i++) {
                ReferenceCountUtil.release(frames[i]); // a no-op for a byte[] and for a null (written)
                frames[i] = null;
                conns[i] = null;
            }
            size = 0;
        }
    }
}
