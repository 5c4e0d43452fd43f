package dev.claudemesh.broker.db.store;

import com.zaxxer.hikari.HikariDataSource;
import dev.claudemesh.broker.core.Ids;
import dev.claudemesh.broker.core.model.StoredMessage;
import dev.claudemesh.broker.core.port.DurableOp;
import dev.claudemesh.broker.db.testing.TestDatabase;
import dev.claudemesh.broker.db.testing.TestDatabases;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.claudemesh.broker.db.testing.Eventually.await;
import static org.assertj.core.api.Assertions.assertThat;

/** The writer against a database that goes away and comes back: nothing is dropped, nothing is acked early. */
class PgDurableLogOutageIT {

    private static final long NOW = 1_780_000_000_000L;
    private static final Duration WAIT = Duration.ofSeconds(30);

    private TestDatabase db;
    private HikariDataSource pool;
    private PgDurableLog log;
    private AdminRepository admin;

    @BeforeEach
    void setUp() {
        db = TestDatabases.newDatabase();
        pool = db.newDataSource(3, 300);
        log = PgDurableLog.start(pool, PgDurableLog.Config.defaults()
                .withMaxBatch(128)
                .withWaterMarks(100, 50)
                .withRetry(20, 200)
                .withHealthProbeIntervalMs(100));
        admin = new AdminRepository(db.dataSource());
    }

    @AfterEach
    void tearDown() {
        db.allowConnections();
        log.close();
        db.close();
    }

    private static StoredMessage message(String meshId) {
        return PgDurableLogIT.message(meshId, "7".repeat(64), "AA==", "AQ==", NOW, NOW + 60_000);
    }

    @Test
    void shouldHoldWorkAndCallbacksDuringAnOutageAndCommitEverythingAfterIt() {
        String meshId = Ids.newId();
        List<Boolean> pressure = new CopyOnWriteArrayList<>();
        log.onPressureChange(pressure::add);
        log.submit(new DurableOp.EnqueueMessage(message(meshId)));
        assertThat(log.flush(WAIT.toMillis())).isTrue();
        long batchesBefore = log.committedBatches();

        db.refuseConnections();
        AtomicInteger acked = new AtomicInteger();
        for (int i = 0; i < 300; i++) {
            log.submit(new DurableOp.EnqueueMessage(message(meshId)), acked::incrementAndGet);
        }

        // Pressure turns on at the submit that crossed the high-water mark, on the submitting thread.
        assertThat(pressure).containsExactly(true);
        assertThat(log.aboveHighWater()).isTrue();
        await(WAIT, "writer notices the outage", () -> !log.databaseHealthy() && log.failedAttempts() > 0);
        assertThat(log.flush(100)).isFalse();
        assertThat(acked).hasValue(0);
        assertThat(log.backlog()).isEqualTo(300);

        db.allowConnections();

        assertThat(log.flush(WAIT.toMillis())).isTrue();
        assertThat(acked).hasValue(300);
        assertThat(log.backlog()).isZero();
        assertThat(log.databaseHealthy()).isTrue();
        assertThat(pressure).containsExactly(true, false);
        assertThat(log.aboveHighWater()).isFalse();
        assertThat(log.loadUndelivered(NOW).stream().filter(m -> m.meshId().equals(meshId))).hasSize(301);
        // The retried batch plus full batches for the rest: 300 ops never take more than 1 + ceil(299 / 128).
        assertThat(log.committedBatches() - batchesBefore).isBetween(3L, 4L);
    }

    @Test
    void shouldFollowTheDatabaseHealthWithoutTraffic() {
        await(WAIT, "healthy at start", log::databaseHealthy);

        db.refuseConnections();
        await(WAIT, "probe reports the outage", () -> !log.databaseHealthy());

        db.allowConnections();
        await(WAIT, "probe reports the recovery", log::databaseHealthy);
    }

    @Test
    void shouldRestoreTheAuditChainCacheWhenABatchFailsMidTransaction() throws SQLException {
        String known = Ids.newId();
        String fresh = Ids.newId();
        log.submit(new DurableOp.AppendAudit(known, "peer_joined", "m", Map.of("n", 1), NOW));
        assertThat(log.flush(WAIT.toMillis())).isTrue();

        // Make audit inserts fail inside the transaction, after the writer has computed (and cached) new hashes.
        execute("CREATE TABLE public.fail_audit (on_ boolean NOT NULL)");
        execute("INSERT INTO public.fail_audit VALUES (true)");
        execute("""
                CREATE FUNCTION public.fail_audit() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                  IF (SELECT on_ FROM public.fail_audit) THEN RAISE EXCEPTION 'injected failure'; END IF;
                  RETURN NEW;
                END $$""");
        execute("CREATE TRIGGER fail_audit BEFORE INSERT ON mesh.audit_log "
                + "FOR EACH ROW EXECUTE FUNCTION public.fail_audit()");
        long failuresBefore = log.failedAttempts();
        AtomicInteger acked = new AtomicInteger();
        for (int i = 0; i < 4; i++) {
            log.submit(new DurableOp.AppendAudit(known, "message_sent", "m", Map.of("n", i), NOW + 1 + i),
                    acked::incrementAndGet);
            log.submit(new DurableOp.AppendAudit(fresh, "message_sent", "m", Map.of("n", i), NOW + 1 + i),
                    acked::incrementAndGet);
        }
        await(WAIT, "two failed attempts", () -> log.failedAttempts() >= failuresBefore + 2);
        assertThat(acked).hasValue(0);

        execute("UPDATE public.fail_audit SET on_ = false");

        assertThat(log.flush(WAIT.toMillis())).isTrue();
        assertThat(acked).hasValue(8);
        assertThat(admin.verifyAudit(known)).isEqualTo(new AuditVerification(true, 5, null));
        assertThat(admin.verifyAudit(fresh)).isEqualTo(new AuditVerification(true, 4, null));
    }

    private void execute(String sql) throws SQLException {
        try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }
}
