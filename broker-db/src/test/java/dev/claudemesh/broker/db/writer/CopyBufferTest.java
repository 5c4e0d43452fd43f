package dev.claudemesh.broker.db.writer;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class CopyBufferTest {

    private static final byte[] HEADER = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xff, '\r', '\n', 0, 0, 0, 0, 0, 0,
            0, 0, 0};

    @Test
    void shouldWriteTheBinaryCopyHeaderRowsAndFieldsAsPostgreSqlDocumentsThem() {
        CopyBuffer copy = new CopyBuffer().start();
        copy.row(5);
        copy.text("ab");
        copy.text(null);
        copy.bytes("QQ==".getBytes(StandardCharsets.US_ASCII));
        copy.timestamp(CopyBuffer.PG_EPOCH_MS + 1_500L);
        copy.timestampOrNull(null);

        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        expected.writeBytes(HEADER);
        expected.writeBytes(new byte[]{0, 5});
        expected.writeBytes(new byte[]{0, 0, 0, 2, 'a', 'b'});
        expected.writeBytes(new byte[]{-1, -1, -1, -1});
        expected.writeBytes(new byte[]{0, 0, 0, 4, 'Q', 'Q', '=', '='});
        expected.writeBytes(new byte[]{0, 0, 0, 8});
        expected.writeBytes(ByteBuffer.allocate(8).putLong(1_500_000L).array());
        expected.writeBytes(new byte[]{-1, -1, -1, -1});
        assertThat(copy.toByteArray()).isEqualTo(expected.toByteArray());
    }

    @Test
    void shouldEncodeNonAsciiTextAsUtf8WithItsByteLength() {
        String name = "zoë ✓ 🚀";
        byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
        CopyBuffer copy = new CopyBuffer().start();
        copy.text("ascii-prefix");
        copy.text(name);

        byte[] out = copy.toByteArray();
        int at = HEADER.length + 4 + "ascii-prefix".length();
        assertThat(ByteBuffer.wrap(out, at, 4).getInt()).isEqualTo(utf8.length);
        assertThat(new String(out, at + 4, utf8.length, StandardCharsets.UTF_8)).isEqualTo(name);
        assertThat(out).hasSize(at + 4 + utf8.length);
    }

    @Test
    void shouldWriteTimestampsBeforeTheYear2000AsNegativeMicroseconds() {
        CopyBuffer copy = new CopyBuffer().start();
        copy.timestamp(0L);
        byte[] out = copy.toByteArray();
        assertThat(ByteBuffer.wrap(out, HEADER.length + 4, 8).getLong()).isEqualTo(-946_684_800_000_000L);
    }

    @Test
    void shouldGrowPastItsInitialSizeAndStartAfreshForTheNextStream() {
        CopyBuffer copy = new CopyBuffer().start();
        String big = "x".repeat(200_000);
        copy.text(big);
        assertThat(copy.toByteArray()).hasSize(HEADER.length + 4 + big.length());
        copy.start();
        assertThat(copy.toByteArray()).isEqualTo(HEADER);
    }

    @Test
    void shouldWriteEveryStringAsItsGetBytesUtf8AcrossGrowthAndLongStrings() {
        List<String> strings = List.of("", "a", "M0000000000000000000000000000001", "\u00e9\u00ff", "\u4e2d\u6587",
                "\ud83d\ude80x", "lone\ud800", "\udc00lone", "end\ud83d", "\u0000nul", "x".repeat(512),
                "\u00e9".repeat(512), "\u4e2d".repeat(513), "y".repeat(40_000), "ascii-after-growth",
                "\ud83d\ude80".repeat(256));
        CopyBuffer copy = new CopyBuffer().start();
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        expected.writeBytes(HEADER);
        for (int round = 0; round < 3; round++) { // the 40 000 chars grow the array: later strings go to the new one
            for (String s : strings) {
                copy.text(s);
                byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
                expected.writeBytes(ByteBuffer.allocate(4).putInt(utf8.length).array());
                expected.writeBytes(utf8);
            }
        }
        byte[] canonical = "{\"a\":\"\u00e9\"}".getBytes(StandardCharsets.UTF_8);
        byte[] padded = new byte[canonical.length + 5];
        System.arraycopy(canonical, 0, padded, 3, canonical.length);
        copy.utf8(padded, 3, canonical.length);
        expected.writeBytes(ByteBuffer.allocate(4).putInt(canonical.length).array());
        expected.writeBytes(canonical);

        assertThat(copy.toByteArray()).isEqualTo(expected.toByteArray());
    }
}
