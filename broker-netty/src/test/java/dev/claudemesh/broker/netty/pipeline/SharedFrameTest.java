package dev.claudemesh.broker.netty.pipeline;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * {@link SharedFrame}: its frame is byte for byte what Netty's server encoder writes for the same payload (every
 * length field, both opcodes), it passes that encoder untouched, and the slot hands out one reference per recipient
 * from a payload's second sight on.
 */
class SharedFrameTest {

    private static final PooledByteBufAllocator ALLOC = PooledByteBufAllocator.DEFAULT;

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 125, 126, 1023, 1024, 65_535, 65_536, 200_000})
    void shouldEncodeWhatNettysEncoderWritesForEveryLengthAndBothOpcodes(int length) {
        byte[] payload = new byte[length];
        Arrays.fill(payload, (byte) 'x');
        for (boolean binary : new boolean[] {false, true}) {
            ByteBuf ours = SharedFrame.encode(ALLOC, payload, binary);
            try {
                assertThat(ours.isDirect()).isTrue();
                assertThat(ByteBufUtil.getBytes(ours)).as("binary " + binary + ", length " + length)
                        .isEqualTo(nettyEncoding(binary
                                ? new BinaryWebSocketFrame(Unpooled.wrappedBuffer(payload))
                                : new TextWebSocketFrame(Unpooled.wrappedBuffer(payload))));
            } finally {
                ours.release();
            }
        }
    }

    @Test
    void shouldPassNettysEncoderUntouched() {
        EmbeddedChannel ch = new EmbeddedChannel(new WebSocket13FrameEncoder(false));
        ByteBuf frame = SharedFrame.encode(ALLOC, new byte[] {'h', 'i'}, false);
        ByteBuf dup = frame.duplicate();
        ch.writeOutbound(dup);
        ByteBuf out = ch.readOutbound();
        assertThat(out).isSameAs(dup);
        assertThat(ByteBufUtil.getBytes(out)).containsExactly(0x81, 2, 'h', 'i');
        out.release();
        assertThat(frame.refCnt()).isZero();
        assertFalse(ch.finish());
    }

    @Test
    void shouldShareFromTheSecondSightWithOneReferencePerRecipient() {
        SharedFrame slot = new SharedFrame(false);
        byte[] a = {'a'};
        byte[] equalToA = {'a'};
        byte[] b = {'b'};
        assertThat(slot.share(a, ALLOC)).as("first sight: the ordinary path").isNull();
        ByteBuf second = slot.share(a, ALLOC);
        ByteBuf third = slot.share(a, ALLOC);
        assertThat(third).isSameAs(second);
        assertThat(second.refCnt()).as("the slot's and two recipients'").isEqualTo(3);
        assertThat(slot.share(equalToA, ALLOC)).as("equal bytes in another array: not recognised").isNull();
        assertThat(second.refCnt()).as("the slot let go").isEqualTo(2);
        second.release();
        third.release();
        assertThat(second.refCnt()).isZero();
        assertThat(slot.share(b, ALLOC)).isNull();
        ByteBuf bFrame = slot.share(b, ALLOC);
        slot.clear();
        assertThat(bFrame.refCnt()).as("the recipient's reference outlives the slot's").isEqualTo(1);
        assertThat(ByteBufUtil.getBytes(bFrame)).containsExactly(0x81, 1, 'b');
        bFrame.release();
        assertThat(slot.share(b, ALLOC)).as("cleared: a first sight again").isNull();
        slot.clear();
    }

    private static byte[] nettyEncoding(WebSocketFrame frame) {
        EmbeddedChannel ch = new EmbeddedChannel(new WebSocket13FrameEncoder(false));
        ch.writeOutbound(frame);
        ByteBuf all = Unpooled.buffer();
        for (ByteBuf part; (part = ch.readOutbound()) != null; ) {
            all.writeBytes(part);
            part.release();
        }
        assertFalse(ch.finish());
        byte[] bytes = ByteBufUtil.getBytes(all);
        all.release();
        return bytes;
    }
}
