package dev.claudemesh.broker.netty.pipeline;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.Test;

import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * {@link NettyPeerConnection#send(byte[], Runnable)}: the completion runs exactly once, when the frame has been
 * written out (not when it was merely queued), or at once when the frame is dropped because the socket is closing or
 * closed.
 */
class NettyPeerConnectionTest {

    private static final byte[] FRAME = "{\"type\":\"stream_data\"}".getBytes(StandardCharsets.UTF_8);

    @Test
    void shouldCompleteOnceTheFrameIsWrittenOut() {
        EmbeddedChannel ch = new EmbeddedChannel();
        NettyPeerConnection conn = new NettyPeerConnection(ch, 1 << 20);
        AtomicInteger done = new AtomicInteger();
        conn.send(FRAME, done::incrementAndGet);
        assertThat(done).hasValue(0); // queued, its flush not run yet
        ch.runPendingTasks(); // the coalesced flush
        assertThat(done).hasValue(1);
        TextWebSocketFrame out = ch.readOutbound();
        assertThat(out.text()).isEqualTo("{\"type\":\"stream_data\"}");
        out.release();
        assertFalse(ch.finish());
        assertThat(done).hasValue(1);
    }

    @Test
    void shouldCompleteWhenAWriteFailsOrTheSocketIsClosing() {
        EmbeddedChannel ch = new EmbeddedChannel(new ChannelOutboundHandlerAdapter() {
            @Override
            public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                ReferenceCountUtil.release(msg);
                if (!promise.isVoid()) { // as WebSocketCloseHandler fails writes after a close frame
                    promise.setFailure(new ClosedChannelException());
                }
            }
        });
        NettyPeerConnection conn = new NettyPeerConnection(ch, 1 << 20);
        AtomicInteger done = new AtomicInteger();
        conn.send(FRAME, done::incrementAndGet);
        assertThat(done).hasValue(1);

        conn.close(1000, "bye");
        conn.send(FRAME, done::incrementAndGet); // closing: dropped at once
        assertThat(done).hasValue(2);
        ch.runPendingTasks();
        ch.close();
        conn.send(FRAME, done::incrementAndGet);
        ch.runPendingTasks();
        assertThat(done).hasValue(3);
        Object left;
        while ((left = ch.readOutbound()) != null) {
            ReferenceCountUtil.release(left);
        }
        assertFalse(ch.finish());
    }
}
