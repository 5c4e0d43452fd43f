package dev.claudemesh.broker.db.writer;

import com.zaxxer.hikari.HikariDataSource;
import dev.claudemesh.broker.core.Ids;
import dev.claudemesh.broker.core.model.StoredMessage;
import dev.claudemesh.broker.core.port.DurableOp;
import dev.claudemesh.broker.db.store.AdminRepository;
import dev.claudemesh.broker.db.store.AuditVerification;
import dev.claudemesh.broker.db.store.PgRecoveryStore;
import dev.claudemesh.broker.db.testing.TestDatabase;
import dev.claudemesh.broker.db.testing.TestDatabases;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import javax.sql.DataSource;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
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

/**
 * The writer against a database that goes away and comes back: nothing is dropped, nothing is acked early. The writer
 * waits between retries in a {@link SteppedSleeper}, so the test decides when each retry happens (and sees the waits
 * it asked for) instead of waiting for them.
 */
class PgDurableLogOutageIT {

    private static final long NOW = 1_780_000_000_000L;
    private static final Duration WAIT = Duration.ofSeconds(30);

    private TestDatabase db;
    private HikariDataSource pool;
    private PgDurableLog log;
    private SteppedSleeper sleeper;
    private AdminRepository admin;

    @BeforeEach
    void setUp() {
        db = TestDatabases.newDatabase();
        pool = db.newDataSource(3, 300);
        sleeper = SteppedSleeper.gated();
        log = PgDurableLog.start(pool, WriterConfig.builder()
                .maxBatchOps(128)
                .waterMarks(100, 50)
                .retry(20, 200)
                .healthProbeIntervalMs(100)
                .build(), sleeper);
        admin = new AdminRepository(db.dataSource());
    }

    @AfterEach
    void tearDown() {
        db.allowConnections();
        sleeper.open();
        log.close();
        db.close();
    }

    private static StoredMessage message(String meshId) {
        return PgDurableLogIT.message(meshId, "7".repeat(64), "AA==", "AQ==", NOW, NOW + 60_000);
    }

    @Test
    void shouldHoldWorkAndCallbacksDuringAnOutageAndCommitEverythingAfterIt() throws InterruptedException {
        String meshId = Ids.newId();
        List<Boolean> pressure = new CopyOnWriteArrayList<>();
        log.addPressureListener(pressure::add);
        log.submit(new DurableOp.EnqueueMessage(message(meshId)));
        assertThat(log.flush(WAIT.toMillis())).isTrue();
        long batchesBefore = log.stats().committedBatches();

        db.refuseConnections();
        AtomicInteger acked = new AtomicInteger();
        for (int i = 0; i < 300; i++) {
            log.submit(new DurableOp.EnqueueMessage(message(meshId)), acked::incrementAndGet);
        }

        // Pressure turns on at the submit that crossed the high-water mark, on the submitting thread.
        assertThat(pressure).containsExactly(true);
        assertThat(log.aboveHighWater()).isTrue();
        // Four failed attempts against the real outage, each followed by a longer wait; nothing commits meanwhile.
        for (int failures = 1; failures <= 4; failures++) {
            sleeper.awaitRequest(WAIT);
            assertThat(log.databaseHealthy()).isFalse();
            assertThat(log.stats().failedAttempts()).isEqualTo(failures);
            assertThat(log.flush(0)).isFalse();
            assertThat(acked).hasValue(0);
            assertThat(log.stats().backlog()).isEqualTo(300);
            if (failures < 4) {
                sleeper.step();
            }
        }
        assertThat(sleeper.requestedMs()).containsExactly(20L, 40L, 80L, 160L);

        db.allowConnections();
        sleeper.open();

        assertThat(log.flush(WAIT.toMillis())).isTrue();
        assertThat(acked).hasValue(300);
        assertThat(log.stats().backlog()).isZero();
        assertThat(log.databaseHealthy()).isTrue();
        assertThat(pressure).containsExactly(true, false);
        assertThat(log.aboveHighWater()).isFalse();
        assertThat(new PgRecoveryStore(pool).loadUndelivered(NOW).stream().filter(m -> m.meshId().equals(meshId)))
                .hasSize(301);
        // The retried batch plus full batches for the rest: 300 ops never take more than 1 + ceil(299 / 128).
        assertThat(log.stats().committedBatches() - batchesBefore).isBetween(3L, 4L);
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
    void shouldRestoreTheAuditChainCacheWhenABatchFailsMidTransaction() throws Exception {
        String known = Ids.newId();
        String fresh = Ids.newId();
        log.submit(TestAudits.audit(known, "peer_joined", "m", Map.of("n", 1), NOW));
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
        long failuresBefore = log.stats().failedAttempts();
        AtomicInteger acked = new AtomicInteger();
        for (int i = 0; i < 4; i++) {
            log.submit(TestAudits.audit(known, "message_sent", "m", Map.of("n", i), NOW + 1 + i),
                    acked::incrementAndGet);
            log.submit(TestAudits.audit(fresh, "message_sent", "m", Map.of("n", i), NOW + 1 + i),
                    acked::incrementAndGet);
        }
        sleeper.awaitRequest(WAIT);
        sleeper.step();
        sleeper.awaitRequest(WAIT);
        assertThat(log.stats().failedAttempts()).isEqualTo(failuresBefore + 2);
        assertThat(acked).hasValue(0);

        execute("UPDATE public.fail_audit SET on_ = false");
        sleeper.open();

        assertThat(log.flush(WAIT.toMillis())).isTrue();
        assertThat(acked).hasValue(8);
        assertThat(admin.verifyAudit(known)).isEqualTo(new AuditVerification(true, 5, null));
        assertThat(admin.verifyAudit(fresh)).isEqualTo(new AuditVerification(true, 4, null));
    }

    /**
     * A data source whose {@code n}-th next {@code commit()} ({@code countdown} = n) fails: after the server committed
     * ({@code afterServer}: the client never hears the outcome) or instead of committing (rolled back).
     */
    private static DataSource failingCommit(DataSource real, AtomicInteger countdown, boolean afterServer) {
        return (DataSource) Proxy.newProxyInstance(DataSource.class.getClassLoader(), new Class<?>[] {DataSource.class},
                (proxy, method, args) -> {
                    Object result = invoke(real, method, args);
                    if (!method.getName().equals("getConnection")) {
                        return result;
                    }
                    Connection c = (Connection) result;
                    return Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class},
                            (p2, m2, a2) -> {
                                if (m2.getName().equals("commit") && countdown.getAndDecrement() == 1) {
                                    if (afterServer) {
                                        c.commit();
                                    } else {
                                        c.rollback();
                                    }
                                    throw new SQLException("injected: connection lost during commit", "08006");
                                }
                                return invoke(c, m2, a2);
                            });
                });
    }

    private static Object invoke(Object target, Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    /**
     * {@code lostCommit} 2: the second batch's COMMIT is lost (nothing behind it); 1: the first one's, while the
     * second batch, pipelined, has run its statements behind it (it is rolled back and committed after the first).
     */
    @ParameterizedTest(name = "the server committed: {0}, pipeline depth {1}, lost commit {2}")
    @CsvSource({"true, 1, 2", "false, 1, 2", "true, 2, 2", "true, 2, 1", "false, 2, 1"})
    void shouldApplyABatchWhoseCommitOutcomeWasLostExactlyOnce(boolean afterServer, int depth, int lostCommit)
            throws Exception {
        String meshA = Ids.newId();
        String meshB = Ids.newId();
        AtomicInteger countdown = new AtomicInteger(Integer.MAX_VALUE);
        SteppedSleeper waits = SteppedSleeper.instant();
        try (PgDurableLog writer = PgDurableLog.start(failingCommit(pool, countdown, afterServer),
                WriterConfig.builder().retry(20, 200).pipelineDepth(depth).build(), waits);
             Connection locker = db.dataSource().getConnection()) {
            writer.submit(TestAudits.audit(meshA, "peer_joined", "m", Map.of("n", 0), NOW));
            assertThat(writer.flush(WAIT.toMillis())).isTrue();
            long failuresBefore = writer.stats().failedAttempts();

            // Stall the writer inside a first batch, so that everything submitted meanwhile forms the second one.
            locker.setAutoCommit(false);
            try (Statement st = locker.createStatement()) {
                st.execute("LOCK TABLE mesh.audit_log IN SHARE ROW EXCLUSIVE MODE");
            }
            countdown.set(lostCommit);
            writer.submit(TestAudits.audit(meshB, "peer_joined", "m", Map.of("n", 0), NOW));
            await(WAIT, "the writer waits for the lock", () -> count("SELECT count(*) FROM pg_locks WHERE NOT granted") > 0);
            AtomicInteger acked = new AtomicInteger();
            StoredMessage dm = message(meshA);
            writer.submit(new DurableOp.EnqueueMessage(dm), acked::incrementAndGet);
            for (int i = 1; i <= 3; i++) {
                writer.submit(TestAudits.audit(meshA, "message_sent", "m", Map.of("n", i), NOW + i),
                        acked::incrementAndGet);
                writer.submit(TestAudits.audit(meshB, "message_sent", "m", Map.of("n", i), NOW + i),
                        acked::incrementAndGet);
            }
            locker.rollback();
            assertThat(writer.flush(WAIT.toMillis())).isTrue();

            assertThat(countdown.get()).as("the injected failure fired").isLessThan(1);
            assertThat(writer.stats().failedAttempts()).isEqualTo(failuresBefore + 1);
            assertThat(waits.requestedMs()).containsExactly(20L);
            assertThat(acked).hasValue(7);
            // The chains continue from the right heads afterwards.
            writer.submit(TestAudits.audit(meshA, "peer_left", "m", Map.of("n", 4), NOW + 4));
            writer.submit(TestAudits.audit(meshB, "peer_left", "m", Map.of("n", 4), NOW + 4));
            assertThat(writer.flush(WAIT.toMillis())).isTrue();
            assertThat(admin.verifyAudit(meshA)).isEqualTo(new AuditVerification(true, 5, null));
            assertThat(admin.verifyAudit(meshB)).isEqualTo(new AuditVerification(true, 5, null));
            assertThat(count("SELECT count(*) FROM mesh.message_queue WHERE id = '" + dm.messageId() + "'"))
                    .isEqualTo(1);
        }
    }

    private long count(String sql) {
        try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement();
             java.sql.ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private void execute(String sql) throws SQLException {
        try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }
}
