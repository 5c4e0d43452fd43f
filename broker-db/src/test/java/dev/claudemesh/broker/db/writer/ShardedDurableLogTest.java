package dev.claudemesh.broker.db.writer;

import dev.claudemesh.broker.core.port.WriterStats;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/** The sharded writer's own logic over fake shards: the water-mark split, pressure and figures across shards. */
class ShardedDurableLogTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    private final List<FakeExecutor> databases = new ArrayList<>();
    private final List<WriterConfig> shardConfigs = new ArrayList<>();
    private final List<PgDurableLog> shards = new ArrayList<>();
    private ShardedDurableLog log;

    private ShardedDurableLog start(WriterConfig config, int count) {
        log = ShardedDurableLog.start(config, count, c -> {
            FakeExecutor db = new FakeExecutor();
            databases.add(db);
            shardConfigs.add(c);
            PgDurableLog shard = PgDurableLog.start(db, c, SteppedSleeper.instant(), System::nanoTime);
            shards.add(shard);
            return shard;
        });
        return log;
    }

    @AfterEach
    void tearDown() {
        if (log != null) {
            log.close();
        }
    }

    /** A mesh id that {@code log} routes to shard {@code index}. */
    private String meshOfShard(int index) {
        for (int i = 0; ; i++) {
            String meshId = "mesh-" + i;
            if (log.shardOf(meshId) == shards.get(index)) {
                return meshId;
            }
        }
    }

    @Test
    void shouldGiveEachShardItsPartOfTheWaterMarksAndItsOwnThread() {
        start(WriterConfig.builder().maxBatchOps(7).waterMarks(100, 41).threadName("w").build(), 3);

        assertThat(log.shards()).isEqualTo(3);
        assertThat(shardConfigs).extracting(WriterConfig::threadName).containsExactly("w-0", "w-1", "w-2");
        assertThat(shardConfigs).allSatisfy(c -> {
            assertThat(c.highWaterOps()).isEqualTo(33);
            assertThat(c.lowWaterOps()).isEqualTo(13);
            assertThat(c.maxBatchOps()).isEqualTo(7);
        });
    }

    @Test
    void shouldKeepTheThreadNameOfASingleShard() {
        start(WriterConfig.builder().threadName("w").build(), 1);

        assertThat(shardConfigs).extracting(WriterConfig::threadName).containsExactly("w");
    }

    @Test
    void shouldBeUnderPressureWhileAnyShardIs() throws Exception {
        start(WriterConfig.builder().waterMarks(10, 4).build(), 2);
        List<Boolean> heard = new CopyOnWriteArrayList<>();
        log.addPressureListener(heard::add);
        String busy = meshOfShard(0);
        String calm = meshOfShard(1);
        databases.get(0).holdNextApply();
        log.submit(TestOps.enqueue(busy));
        databases.get(0).awaitHeld(WAIT);

        for (int i = 0; i < 6; i++) {
            log.submit(TestOps.enqueue(busy));
        }
        log.submit(TestOps.enqueue(calm));

        assertThat(log.aboveHighWater()).isTrue();
        assertThat(heard).containsExactly(true);
        assertThat(log.flush(0)).as("shard 0 is held").isFalse();
        databases.get(0).release();
        assertThat(log.flush(WAIT.toMillis())).isTrue();
        assertThat(log.aboveHighWater()).isFalse();
        assertThat(heard).containsExactly(true, false);
    }

    @Test
    void shouldAddUpTheShardsFigures() {
        start(WriterConfig.defaults(), 2);
        for (int i = 0; i < 5; i++) {
            log.submit(TestOps.enqueue(meshOfShard(0)));
        }
        assertThat(log.flush(WAIT.toMillis())).isTrue();
        log.submit(TestOps.enqueue(meshOfShard(1)));
        assertThat(log.flush(WAIT.toMillis())).isTrue();

        WriterStats all = log.stats();

        assertThat(all).isEqualTo(shards.get(0).stats().plus(shards.get(1).stats()));
        assertThat(all.committedOps()).isEqualTo(6);
        assertThat(all.backlog()).isZero();
        assertThat(all.lastBatchSize()).isEqualTo(shards.get(0).stats().lastBatchSize());
        assertThat(databases.get(1).committedIds()).hasSize(1);
    }
}
