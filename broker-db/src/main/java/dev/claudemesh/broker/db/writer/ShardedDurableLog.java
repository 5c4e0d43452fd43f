package dev.claudemesh.broker.db.writer;

import dev.claudemesh.broker.core.port.DurableLog;
import dev.claudemesh.broker.core.port.DurableOp;
import dev.claudemesh.broker.core.port.PressureListener;
import dev.claudemesh.broker.core.port.WriterStats;

import javax.sql.DataSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * Several {@link PgDurableLog} writers, each with its own thread and connection, with every op routed by its mesh id.
 * One writer is one PostgreSQL backend committing one batch at a time, and on a machine with cores to spare that is
 * the ceiling of durable DMs/s (docs/BENCHMARKS.md, "16 cores"); shards let meshes commit in parallel.
 *
 * <p>Everything of one mesh goes to one shard, so what the design needs holds per shard as it did for the single
 * writer: a mesh's ops are applied and their callbacks run in submission order, a delivery mark finds (or folds into)
 * its DM's row, and each mesh's audit chain has exactly one writer. Ops of different meshes have no order between
 * them, as they need none. With one shard this is exactly one {@link PgDurableLog}.</p>
 *
 * <p>Back-pressure: each shard gets an equal part of the water marks; pressure is on while any shard is above its
 * high-water mark. Health is false while any shard's last attempt failed. {@link #stats()} adds the shards' figures
 * up. Thread-safe; owns its shards.</p>
 */
public final class ShardedDurableLog implements DurableLog, AutoCloseable {

    private final List<PgDurableLog> shards;
    private final Pressure pressure = new Pressure();

    private ShardedDurableLog(List<PgDurableLog> shards) {
        this.shards = List.copyOf(shards);
        for (PgDurableLog s : this.shards) {
            s.addPressureListener(ignored -> pressure.update(on -> anyShardAboveHighWater()));
        }
    }

    /**
     * Starts {@code count} writers over {@code dataSource}. Each gets {@code config}'s batch size and retry settings,
     * {@code 1/count} of its water marks, and the thread name {@code <threadName>-<i>} (just {@code threadName} when
     * {@code count} is 1).
     */
    public static ShardedDurableLog start(DataSource dataSource, WriterConfig config, int count) {
        Objects.requireNonNull(dataSource, "dataSource");
        return start(config, count, shardConfig -> PgDurableLog.start(dataSource, shardConfig));
    }

    /** As {@link #start(DataSource, WriterConfig, int)}, each shard started by {@code startShard} (tests). */
    static ShardedDurableLog start(WriterConfig config, int count, Function<WriterConfig, PgDurableLog> startShard) {
        Objects.requireNonNull(config, "config");
        if (count < 1) {
            throw new IllegalArgumentException("count: " + count + " (expected: > 0)");
        }
        int high = Math.max(2, config.highWaterOps() / count);
        int low = Math.min(high - 1, Math.max(0, config.lowWaterOps() / count));
        List<PgDurableLog> shards = new ArrayList<>(count);
        try {
            for (int i = 0; i < count; i++) {
                String name = count == 1 ? config.threadName() : config.threadName() + "-" + i;
                shards.add(startShard.apply(config.toBuilder().waterMarks(high, low).threadName(name).build()));
            }
        } catch (RuntimeException | Error e) {
            shards.forEach(PgDurableLog::close);
            throw e;
        }
        return new ShardedDurableLog(shards);
    }

    /** The shard that owns {@code meshId}. */
    PgDurableLog shardOf(String meshId) {
        return shards.get(Math.floorMod(meshId.hashCode(), shards.size()));
    }

    static String meshIdOf(DurableOp op) {
        Objects.requireNonNull(op, "op");
        return Objects.requireNonNull(op.meshId(), "meshId");
    }

    @Override
    public void submit(DurableOp op, Runnable onCommitted) {
        shardOf(meshIdOf(op)).submit(op, onCommitted);
    }

    /** True while any shard is above its high-water mark (read live; listeners hear the same flips, in order). */
    @Override
    public boolean aboveHighWater() {
        return anyShardAboveHighWater();
    }

    private boolean anyShardAboveHighWater() {
        for (PgDurableLog s : shards) {
            if (s.aboveHighWater()) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void addPressureListener(PressureListener listener) {
        pressure.addListener(listener);
    }

    @Override
    public boolean databaseHealthy() {
        for (PgDurableLog s : shards) {
            if (!s.databaseHealthy()) {
                return false;
            }
        }
        return true;
    }

    /** The shards' figures together: sums, and the largest of their "last" figures. */
    @Override
    public WriterStats stats() {
        WriterStats all = WriterStats.idle(0);
        for (PgDurableLog s : shards) {
            all = all.plus(s.stats());
        }
        return all;
    }

    /** Flushes every shard within one overall {@code timeoutMs}; true when all drained. */
    @Override
    public boolean flush(long timeoutMs) {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000;
        boolean all = true;
        for (PgDurableLog s : shards) {
            long left = Math.max(0, (deadline - System.nanoTime()) / 1_000_000);
            all &= s.flush(left);
        }
        return all;
    }

    /** Closes every shard (each waits for its own backlog as {@link PgDurableLog#close()} does). Idempotent. */
    @Override
    public void close() {
        for (PgDurableLog s : shards) {
            s.close();
        }
    }

    /** Number of writers. */
    public int shards() {
        return shards.size();
    }
}
