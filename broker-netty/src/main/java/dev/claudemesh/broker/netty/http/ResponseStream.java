package dev.claudemesh.broker.netty.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
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

    ResponseStream(Channel channel) {
        this.channel = Objects.requireNonNull(channel, "channel");
    }

    /** Writes {@code bytes} (not to be changed afterwards) as one chunk and flushes it. */
    public void write(byte[] bytes) {
        if (channel.isActive()) {
            channel.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(bytes)), channel.voidPromise());
        }
    }

    /** False while the client's socket is full: a producer should skip or coalesce until it drains. */
    public boolean isWritable() {
        return channel.isWritable();
    }

    public boolean isOpen() {
        return channel.isActive();
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
