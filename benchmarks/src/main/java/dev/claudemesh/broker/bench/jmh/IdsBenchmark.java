package dev.claudemesh.broker.bench.jmh;

import dev.claudemesh.broker.core.Ids;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;

/**
 * One message id per routed DM ({@link Ids#newId()}), against the way ids were made before issue 15: 24 bytes from
 * a per-thread {@link SecureRandom} per id (kept here as {@link #secureRandomPerId}). Both at two threads too, the
 * broker's event loops on this machine: the system generator serialises its threads on one lock.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class IdsBenchmark {

    private static final char[] ALPHABET =
            "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".toCharArray();
    private static final ThreadLocal<SecureRandom> RANDOM = ThreadLocal.withInitial(SecureRandom::new);

    @Benchmark
    public String keystream() {
        return Ids.newId(1_764_000_000_000L);
    }

    @Benchmark
    @Threads(2)
    public String keystream2Threads() {
        return Ids.newId(1_764_000_000_000L);
    }

    @Benchmark
    public String secureRandomPerId() {
        return oldNewId();
    }

    @Benchmark
    @Threads(2)
    public String secureRandomPerId2Threads() {
        return oldNewId();
    }

    /** The id generator as it was (time prefix left out: the same in both). */
    private static String oldNewId() {
        SecureRandom r = RANDOM.get();
        byte[] bytes = new byte[24];
        r.nextBytes(bytes);
        char[] out = new char[32];
        for (int i = 0; i < 8; i++) {
            out[i] = '0';
        }
        for (int i = 0; i < 24; i++) {
            int v = bytes[i] & 0xFF;
            while (v >= 248) {
                v = r.nextInt(256);
            }
            out[8 + i] = ALPHABET[v % 62];
        }
        return new String(out);
    }
}
