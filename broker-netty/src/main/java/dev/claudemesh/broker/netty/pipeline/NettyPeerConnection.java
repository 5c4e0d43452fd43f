package dev.claudemesh.broker.netty.pipeline;

import dev.claudemesh.broker.core.envelope.BinaryTranscoder;
import dev.claudemesh.broker.core.envelope.WireFormat;
import dev.claudemesh.broker.core.port.PeerConnection;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The transport side of {@link PeerConnection}: writes text frames to one channel. Writes from any thread hop
 * onto the channel's loop; flushes are coalesced to one per loop turn (FlushConsolidationHandler's idea without
 * its per-read coupling). A peer that stops reading is closed once {@link #maxPendingBytes} are queued for it,
 * so a slow consumer cannot grow the broker's memory without bound. A connection of the binary subprotocol
 * ({@link WireFormat#BINARY}) writes binary frames: the JSON it is handed through {@link #send(byte[])} is converted
 * at this edge ({@link BinaryTranscoder}, on the caller's thread), frames from {@link #sendEncoded} go out as given.
 */
public final class NettyPeerConnection implements PeerConnection {

    private static final Logger log = LoggerFactory.getLogger(NettyPeerConnection.class);
    private static final AtomicLong IDS = new AtomicLong();

    private final Channel channel;
    private final long id = IDS.incrementAndGet();
    private final long maxPendingBytes;
    private final LongAdder slowConsumerCloses;
    private final WireFormat format;
    private final Runnable flushTask = this::flushNow;
    /** Loop-confined. */
    private boolean flushScheduled;
    /** Loop-confined: a {@link NettyFanout} batch wrote to this channel and flushes it at the batch's end. */
    private boolean batchFlushPending;
    private volatile boolean closing;

    public NettyPeerConnection(Channel channel, long maxPendingBytes) {
        this(channel, maxPendingBytes, new LongAdder());
    }

    /** @param slowConsumerCloses counts the closes for {@code maxPendingBytes} ({@code /metrics}) */
    public NettyPeerConnection(Channel channel, long maxPendingBytes, LongAdder slowConsumerCloses) {
        this(channel, maxPendingBytes, slowConsumerCloses, WireFormat.JSON);
    }

    /** @param format the encoding chosen at the upgrade */
    public NettyPeerConnection(Channel channel, long maxPendingBytes, LongAdder slowConsumerCloses,
                               WireFormat format) {
        this.format = format;
        this.channel = channel;
        this.maxPendingBytes = maxPendingBytes;
        this.slowConsumerCloses = slowConsumerCloses;
    }

    @Override
    public long id() {
        return id;
    }

    @Override
    public String remoteAddress() {
        return String.valueOf(channel.remoteAddress());
    }

    public Channel channel() {
        return channel;
    }

    @Override
    public WireFormat format() {
        return format;
    }

    @Override
    public void send(byte[] utf8Json) {
        if (closing) {
            return;
        }
        sendEncoded(format == WireFormat.BINARY ? BinaryTranscoder.toBinary(utf8Json) : utf8Json);
    }

    @Override
    public void sendEncoded(byte[] frame) {
        if (closing) {
            return;
        }
        if (channel.eventLoop().inEventLoop()) {
            write(frame);
        } else {
            channel.eventLoop().execute(() -> write(frame));
        }
    }

    /** Copies the frame into a pooled buffer of the channel's allocator at once, on the caller's thread. */
    @Override
    public void sendEncodedCopy(byte[] frame, int offset, int length) {
        if (closing) {
            return;
        }
        ByteBuf payload = channel.alloc().buffer(length);
        payload.writeBytes(frame, offset, length);
        if (channel.eventLoop().inEventLoop()) {
            write(payload);
        } else {
            try {
                channel.eventLoop().execute(() -> write(payload));
            } catch (RejectedExecutionException e) {
                payload.release(); // the loop is shutting down: the frame is dropped
            }
        }
    }

    @Override
    public void send(byte[] json, Runnable onDone) {
        if (closing) {
            onDone.run();
            return;
        }
        byte[] utf8Json = format == WireFormat.BINARY ? BinaryTranscoder.toBinary(json) : json;
        if (channel.eventLoop().inEventLoop()) {
            write(utf8Json, onDone);
        } else {
            try {
                channel.eventLoop().execute(() -> write(utf8Json, onDone));
            } catch (RejectedExecutionException e) {
                onDone.run(); // the loop is shutting down: the frame is dropped
            }
        }
    }

    private void write(byte[] utf8Json) {
        write(utf8Json, null);
    }

    private void write(ByteBuf payload) {
        if (writeUnflushed(payload, null) && !flushScheduled) {
            flushScheduled = true;
            channel.eventLoop().execute(flushTask);
        }
    }

    /** Writes on the channel's loop and arranges the coalesced flush. */
    private void write(byte[] utf8Json, Runnable onDone) {
        if (writeUnflushed(utf8Json, onDone) && !flushScheduled) {
            flushScheduled = true;
            channel.eventLoop().execute(flushTask);
        }
    }

    /** True while a close was requested (fan-outs skip the connection, as {@link #sendEncoded} does). */
    boolean closing() {
        return closing;
    }

    /**
     * Writes {@code frame} (already in {@link #format()}) for a {@link NettyFanout} batch, on the channel's loop; the
     * channel is flushed by its loop's {@link LoopFlusher}, once for all the batches queued before that flush.
     */
    void writeInBatch(byte[] frame) {
        if (writeUnflushed(frame, null) && !batchFlushPending) {
            batchFlushPending = true;
            LoopFlusher.current().add(this);
        }
    }

    /**
     * Writes a {@link SharedFrame} (a complete frame in {@link #format()}, shared with other recipients) for a
     * {@link NettyFanout} batch, on the channel's loop, as {@link #writeInBatch(byte[])} does. Takes over the caller's
     * reference of {@code frame}: the channel writes a duplicate carrying it (released once written or failed), or it
     * is released here when the frame is dropped. The slow-consumer check counts its bytes as any frame's (header
     * included, as the encoder's output was).
     */
    void writeInBatch(ByteBuf frame) {
        if (!admitOrRelease(frame, null)) {
            return;
        }
        // a duplicate: its own reader index, since each channel's outbound buffer consumes what it writes
        channel.write(frame.duplicate(), channel.voidPromise());
        if (!batchFlushPending) {
            batchFlushPending = true;
            LoopFlusher.current().add(this);
        }
    }

    /** Flushes what {@link #writeInBatch} wrote, once; later calls before the next batch write do nothing (loop). */
    void flushBatch() {
        if (batchFlushPending) {
            batchFlushPending = false;
            channel.flush();
        }
    }

    /**
     * Writes on the channel's loop without flushing; {@code onDone} (nullable) runs once the frame is written out or
     * dropped. Returns true when the frame was written (it then needs a flush).
     */
    private boolean writeUnflushed(byte[] utf8Json, Runnable onDone) {
        return writeUnflushed(Unpooled.wrappedBuffer(utf8Json), onDone);
    }

    /** As above, for a payload buffer this method owns (released when the frame is not written). */
    private boolean writeUnflushed(ByteBuf payload, Runnable onDone) {
        if (!admitOrRelease(payload, onDone)) {
            return false;
        }
        WebSocketFrame frame = format == WireFormat.BINARY
                ? new BinaryWebSocketFrame(payload)
                : new TextWebSocketFrame(payload);
        if (onDone == null) {
            channel.write(frame, channel.voidPromise());
        } else {
            // completes when the frame's bytes are in the socket, or fails when the channel closes first
            channel.write(frame).addListener(f -> onDone.run());
        }
        return true;
    }

    /** {@link #admit}, releasing {@code buf} (owned by the caller until written) when the frame is not admitted. */
    private boolean admitOrRelease(ByteBuf buf, Runnable onDone) {
        boolean admitted = false;
        try {
            admitted = admit(onDone);
        } finally {
            if (!admitted) {
                buf.release();
            }
        }
        return admitted;
    }

    /**
     * Whether a frame may be written now, on the channel's loop: not when the connection is closing or closed, nor when
     * more than {@link #maxPendingBytes} wait for the peer (it is then closed as a slow consumer). When not, runs
     * {@code onDone} (nullable).
     */
    private boolean admit(Runnable onDone) {
        if (closing || !channel.isActive()) {
            if (onDone != null) {
                onDone.run();
            }
            return false;
        }
        ChannelOutboundBuffer out = channel.unsafe().outboundBuffer();
        if (out != null && out.totalPendingWriteBytes() > maxPendingBytes) {
            log.warn("conn {} slow consumer: {} outbound bytes pending > {}, closing 1008 slow_consumer", id,
                    out.totalPendingWriteBytes(), maxPendingBytes);
            slowConsumerCloses.increment();
            close(1008, "slow_consumer");
            if (onDone != null) {
                onDone.run();
            }
            return false;
        }
        return true;
    }

    private void flushNow() {
        flushScheduled = false;
        channel.flush();
    }

    @Override
    public void close(int code, String reason) {
        if (channel.eventLoop().inEventLoop()) {
            doClose(code, reason);
        } else {
            channel.eventLoop().execute(() -> doClose(code, reason));
        }
    }

    private void doClose(int code, String reason) {
        if (closing) {
            return;
        }
        closing = true;
        if (!channel.isActive()) {
            return;
        }
        CloseWebSocketFrame frame = reason == null || reason.isEmpty()
                ? new CloseWebSocketFrame(code, null) : new CloseWebSocketFrame(code, reason);
        // The WebSocketCloseHandler takes it from here (RFC 6455 §7): nothing more goes out, inbound bytes are read
        // and dropped until the peer answers (or a bounded wait ends), and a close frame stuck behind the output of
        // a peer that does not read is given up after a while.
        channel.writeAndFlush(frame, channel.voidPromise());
    }

    @Override
    public boolean isOpen() {
        return !closing && channel.isActive();
    }

    @Override
    public void execute(Runnable task) {
        channel.eventLoop().execute(task);
    }
}
