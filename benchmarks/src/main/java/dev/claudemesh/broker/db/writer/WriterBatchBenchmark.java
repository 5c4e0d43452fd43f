package dev.claudemesh.broker.db.writer;

import dev.claudemesh.broker.bench.jmh.Samples;
import dev.claudemesh.broker.core.audit.AuditEvent;
import dev.claudemesh.broker.core.model.StoredMessage;
import dev.claudemesh.broker.core.port.DurableOp;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;
import org.jooq.tools.jdbc.MockConnection;
import org.jooq.tools.jdbc.MockResult;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import javax.sql.DataSource;
import java.io.PrintWriter;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

import static dev.claudemesh.broker.db.jooq.mesh.Tables.AUDIT_LOG;

/**
 * broker-db's batched writer without the database, per op of a full batch of {@value #BATCH} ops in the mix DM
 * traffic produces (per DM: enqueue, {@code message_sent} audit, delivery mark):
 * <ul>
 *   <li>{@code planOnly}: {@link BatchPlan} building, single-threaded;</li>
 *   <li>{@code writerBatch}: the real {@link PgDurableLog} — submit (checks on the caller), hand-off to the writer
 *       thread, plan, the COPY streams' building (then dropped), the audit events' canonical JSON and chain hashing,
 *       "commit" — against a jOOQ {@link MockConnection} that answers every
 *       statement at once. This is
 *       the writer's CPU cost per op; the database round trip comes on top in production.</li>
 * </ul>
 * Lives in broker-db's package because {@link BatchPlan} is package-private.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class WriterBatchBenchmark {

    static final int BATCH = 510;

    private final List<DurableOp> ops = new ArrayList<>(BATCH);
    private final BatchPlan plan = new BatchPlan();
    private PgDurableLog writer;

    @Setup
    public void setUp() {
        for (int i = 0; i < BATCH / 3; i++) {
            StoredMessage base = Samples.dm(256);
            StoredMessage m = new StoredMessage(String.format("Msg%029d", i), base.meshId(), base.senderMemberId(),
                    base.senderMemberPubkey(), base.senderPubkey(), base.senderName(), base.targetKey(),
                    base.priority(), base.nonce(), base.ciphertext(), "c-" + i, null, base.createdAtMs() + i,
                    base.expiresAtMs());
            AuditEvent sent = new AuditEvent.MessageSent(m.targetKey(), m.priority());
            ops.add(new DurableOp.EnqueueMessage(m));
            ops.add(new DurableOp.AppendAudit(m.meshId(), m.senderMemberId(), sent, m.createdAtMs()));
            ops.add(new DurableOp.MarkDelivered(m.meshId(), String.format("Msg%029d", Math.max(0, i - 1)),
                    m.createdAtMs() + 5));
        }
        // the COPY streams are built in full and then dropped: the mock connection has no COPY protocol
        writer = PgDurableLog.start(new PgBatchExecutor(new MockDataSource(), (c, sql, buf, len) -> len),
                WriterConfig.builder().maxBatchOps(BATCH).healthProbeIntervalMs(3_600_000).build(), Sleeper.SYSTEM,
                System::nanoTime);
    }

    @TearDown
    public void tearDown() {
        writer.close();
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public boolean planOnly() {
        plan.clear();
        for (int i = 0; i < BATCH; i++) {
            plan.add(ops.get(i));
        }
        return plan.isEmpty();
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public boolean writerBatch() {
        for (int i = 0; i < BATCH; i++) {
            writer.submit(ops.get(i), null);
        }
        if (!writer.flush(10_000)) {
            throw new IllegalStateException("writer did not drain");
        }
        return writer.stats().lastBatchSize() > 0;
    }

    /** Connections that answer every statement at once: no rows for the audit chain's last-hash query. */
    private static final class MockDataSource implements DataSource {
        private final MockResult[] none = {new MockResult(0, DSL.using(SQLDialect.POSTGRES).newResult(AUDIT_LOG.HASH))};

        @Override
        public Connection getConnection() {
            return new MockConnection(ctx -> {
                if (ctx.batch()) {
                    MockResult[] r = new MockResult[Math.max(1, ctx.batchBindings().length)];
                    java.util.Arrays.fill(r, new MockResult(1, null));
                    return r;
                }
                return ctx.sql().toLowerCase(java.util.Locale.ROOT).startsWith("select") ? none
                        : new MockResult[] {new MockResult(1, null)};
            });
        }

        @Override
        public Connection getConnection(String username, String password) {
            return getConnection();
        }

        @Override
        public PrintWriter getLogWriter() {
            return null;
        }

        @Override
        public void setLogWriter(PrintWriter out) {
        }

        @Override
        public void setLoginTimeout(int seconds) {
        }

        @Override
        public int getLoginTimeout() {
            return 0;
        }

        @Override
        public Logger getParentLogger() {
            return Logger.getGlobal();
        }

        @Override
        public <T> T unwrap(Class<T> iface) {
            throw new UnsupportedOperationException();
        }

        @Override
        public boolean isWrapperFor(Class<?> iface) {
            return false;
        }
    }
}
