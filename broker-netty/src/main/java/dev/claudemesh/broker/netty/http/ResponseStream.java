package dev.claudemesh.broker.netty.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.LastHttpContent;

import java.util.Objects;

/**
 * The body of a streamed answer ({@link HttpExchange#stream}), e.g. server-sent events: each {@link #write} goes out
 * at once as one chunk; {@link #end} finishes the answer and closes the connection. Thread-safe: writes from any
 * thread hop onto the channel's loop in order. A client that goes away closes the stream ({@link #closeFuture()}),
 * after which writes are ignored.
 */
public final class ResponseStream {

    private final Channel channel;
    /** The newest chunk's write, for {@link #whenWritten}; null before the first. */
    private volatile ChannelFuture lastWrite;

    ResponseStream(Channel channel) {
        this.channel = Objects.requireNonNull(channel, "channel");
    }

    /** Writes {@code bytes} (not to be changed afterwards) as one chunk and flushes it. */
    public void write(byte[] bytes) {
        if (channel.isActive()) {
            lastWrite = channel.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(bytes)));
        }
    }

    /**
     * Runs {@code then} once the chunks written so far have gone to the socket (or failed, the stream being closed),
     * on the channel's thread; at once when nothing was written. A producer that paused because the client was behind
     * resumes with it.
     */
    public void whenWritten(Runnable then) {
        ChannelFuture f = lastWrite;
        if (f == null || f.isDone()) {
            then.run();
        } else {
            f.addListener(done -> then.run());
        }
    }

    /** False while the client's socket is full: a producer should skip or coalesce until it drains. */
    public boolean isWritable() {
        return channel.isWritable();
    }

    public boolean isOpen() {
        return channel.isActive();
    }

    /**
     * Bytes written to this stream that the client has not taken yet (queued for the socket, including writes still on
     * their way to the channel's thread); 0 once closed. Any thread. A producer bounds what one stream may hold with it.
     */
    public long pendingBytes() {
        ChannelOutboundBuffer buffer = channel.unsafe().outboundBuffer();
        return buffer == null ? 0 : buffer.totalPendingWriteBytes();
    }

    /** Closes the connection at once, without the last chunk (a client that stopped reading). Idempotent. */
    public void abort() {
        channel.close();
    }

    /** Ends the answer and closes the connection. Idempotent. */
    public void end() {
        if (channel.isActive()) {
            channel.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** Completes when the connection is closed, by {@link #end} or by the client. */
    public ChannelFuture closeFuture() {
        return channel.closeFuture();
    }
}
