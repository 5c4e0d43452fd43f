package dev.claudemesh.broker.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** {@link KeystreamRandom}: bytes across refills, no repeats between blocks, a plausible byte distribution. */
class KeystreamRandomTest {

    @Test
    void shouldFillAcrossRefillBoundariesWithoutRepeatingABlock() {
        KeystreamRandom r = KeystreamRandom.current();
        byte[] a = new byte[KeystreamRandom.BLOCK * 3 + 17]; // spans at least three refills, split mid-block
        r.nextBytes(a, 0, 100);
        r.nextBytes(a, 100, a.length - 100);
        for (int i = 0; i + 64 <= a.length - KeystreamRandom.BLOCK; i += KeystreamRandom.BLOCK) {
            byte[] first = Arrays.copyOfRange(a, i, i + 64);
            byte[] next = Arrays.copyOfRange(a, i + KeystreamRandom.BLOCK, i + KeystreamRandom.BLOCK + 64);
            assertThat(next).as("a fresh key per refill: no block repeats the one before").isNotEqualTo(first);
        }
        assertThat(Arrays.copyOfRange(a, a.length - 32, a.length)).as("the tail was written").isNotEqualTo(new byte[32]);
    }

    @Test
    void shouldSpreadBytesEvenly() {
        KeystreamRandom r = KeystreamRandom.current();
        int n = 256 * 2000;
        int[] counts = new int[256];
        for (int i = 0; i < n; i++) {
            counts[r.nextByte()]++;
        }
        // chi-square with 255 degrees of freedom: mean 255, sd ~22.6; 400 is over six sd (a broken stream is far off)
        double expected = n / 256.0;
        double chi2 = 0;
        for (int c : counts) {
            chi2 += (c - expected) * (c - expected) / expected;
        }
        assertThat(chi2).isLessThan(400);
    }

    @Test
    void shouldGiveEachThreadItsOwnGenerator() throws Exception {
        KeystreamRandom[] other = new KeystreamRandom[1];
        Thread t = new Thread(() -> other[0] = KeystreamRandom.current());
        t.start();
        t.join();
        assertThat(other[0]).isNotNull().isNotSameAs(KeystreamRandom.current());
    }
}
