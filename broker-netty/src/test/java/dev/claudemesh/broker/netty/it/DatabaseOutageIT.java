package dev.claudemesh.broker.netty.it;

import dev.claudemesh.broker.core.crypto.Ed25519;
import dev.claudemesh.broker.core.testing.Identities;
import dev.claudemesh.broker.db.EmbeddedDatabase;
import dev.claudemesh.broker.netty.BrokerServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * DESIGN "Invariants" under a real database outage: a PostgreSQL server that this test owns (a dedicated embedded
 * server, not the shared test server) is stopped while four peers exchange DMs at a steady rate, until 2 000 DMs
 * were sent into the outage (about 20 s), and started again on the same data directory and port. During the outage
 * nothing uncommitted is acked, multicast is still routed, {@code /health} says 503, the writer keeps retrying, and
 * once the writer's backlog passes its (small) high-water mark the broker stops reading from the peers, so the backlog
 * stays bounded while the senders' frames wait in TCP. After recovery every acked DM is in {@code message_queue} and
 * was delivered to its recipient byte for byte. Each phase lasts until it has seen its traffic (conditions, not
 * fixed sleeps).
 */
class DatabaseOutageIT {

    private static final int PEERS = 4;
    /** One DM every 10 ms across the ring: 100 DMs/s, about 300 writer ops/s (row, audit event, delivery mark). */
    private static final long SEND_PERIOD_MS = 10;
    private static final int HIGH_WATER = 1_000;
    private static final int LOW_WATER = 500;
    /** The outage lasts until this many DMs were sent into it: 20 s at the send rate. */
    private static final int OUTAGE_SENDS = 2_000;
    /** Sends in each phase whose length matters only by how much traffic it saw (warm-up, pressure, recovery). */
    private static final int PHASE_SENDS = 300;
    private static final Map<String, String> PG_CONFIG = Map.of("fsync", "off", "full_page_writes", "off",
            "max_connections", "50");

    private Path pgDir;
    private EmbeddedDatabase pg;
    private final List<LoadPeer> peers = new ArrayList<>();
    private ScheduledExecutorService load;

    @AfterEach
    void tearDown() throws IOException {
        if (load != null) {
            load.shutdownNow();
        }
        peers.forEach(LoadPeer::abort);
        if (pg != null) {
            pg.close();
        }
        if (pgDir != null) {
            try (Stream<Path> paths = Files.walk(pgDir)) {
                paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    @Timeout(180)
    void shouldAckOnlyCommittedDmsAndDeliverEveryAckedDmAcrossA2000DmOutage() throws Exception {
        pgDir = Files.createTempDirectory("outage-pg");
        int pgPort = freePort();
        pg = EmbeddedDatabase.start(pgDir, pgPort, PG_CONFIG);
        // the embedded server asks for its password (base64url: safe in a URL)
        String jdbcUrl = "jdbc:postgresql://localhost:" + pgPort + "/postgres?user=" + EmbeddedDatabase.USER
                + "&password=" + pg.target().password();

        try (BrokerFixture broker = new BrokerFixture(Map.of(
                "DATABASE_URL", jdbcUrl,
                "SEND_RATE_LIMIT_PER_MIN", "0",
                "BROKER_WRITER_HIGH_WATER", String.valueOf(HIGH_WATER),
                "BROKER_WRITER_LOW_WATER", String.valueOf(LOW_WATER)))) {
            BrokerServer server = broker.server();
            String mesh = broker.createMesh("outage");
            DeliveryLedger ledger = new DeliveryLedger("dm-", 256);
            for (int i = 0; i < PEERS; i++) {
                Identities.MemberKeys m = broker.addMember(mesh, "peer" + i);
                peers.add(LoadPeer.connect(broker.port(), ledger, m, Ed25519.generate(), "s" + i, null));
            }

            AtomicInteger tick = new AtomicInteger();
            load = Executors.newSingleThreadScheduledExecutor();
            load.scheduleAtFixedRate(() -> {
                int i = tick.getAndIncrement() % PEERS;
                peers.get(i).sendDm(peers.get((i + 1) % PEERS).key());
            }, 0, SEND_PERIOD_MS, TimeUnit.MILLISECONDS);
            // the writer's backlog, sampled: its peak while the database is down, and its peak after the restart
            AtomicLong maxBacklogDown = new AtomicLong();
            AtomicLong maxBacklogRecovery = new AtomicLong();
            AtomicReference<AtomicLong> backlogPeak = new AtomicReference<>(new AtomicLong());
            load.scheduleAtFixedRate(() -> backlogPeak.get().accumulateAndGet(server.durable().stats().backlog(),
                    Math::max), 0, 10, TimeUnit.MILLISECONDS);
            assertThat(DeliveryLedger.await(30_000, () -> ledger.ackedMessageIds().size() >= PHASE_SENDS))
                    .as("steady traffic acked before the outage").isTrue();
            assertThat(health(broker).statusCode()).isEqualTo(200);

            // ---- outage
            pg.close();
            long stoppedAtMs = System.currentTimeMillis();
            int sentAtStop = ledger.sent().size();
            long failedAtStop = server.durable().stats().failedAttempts();
            backlogPeak.set(maxBacklogDown);

            // multicast is live-only and never waits for the database: pushed and acked during the outage
            peers.get(0).send(Identities.send("mc-outage", "*", "now", "bm9uY2U=", "bXVsdGljYXN0"));
            assertThat(DeliveryLedger.await(5_000, () -> peers.subList(1, PEERS).stream()
                    .allMatch(p -> p.multicastIds().contains("mc-outage")))).as("multicast pushed").isTrue();
            long multicastAt = System.currentTimeMillis();

            assertThat(DeliveryLedger.await(15_000, () -> health(broker).statusCode() == 503))
                    .as("health turns 503").isTrue();
            HttpResponse<String> degraded = health(broker);
            assertThat(degraded.body()).contains("\"status\":\"degraded\"").contains("\"db\":\"down\"");

            assertThat(DeliveryLedger.await(15_000, () -> server.durable().aboveHighWater()))
                    .as("writer backlog passes its high-water mark").isTrue();
            long routedAtPressure = routed(server);
            int sentAtPressure = ledger.sent().size();
            assertThat(DeliveryLedger.await(30_000, () -> ledger.sent().size() - sentAtPressure >= PHASE_SENDS))
                    .as("senders go on while the broker does not read").isTrue();
            long routedDuringPressure = routed(server) - routedAtPressure;
            int sentDuringPressure = ledger.sent().size() - sentAtPressure;
            // /health still answers (on the same kept-alive connection) while peers are not read
            assertThat(health(broker).statusCode()).isEqualTo(503);

            assertThat(DeliveryLedger.await(60_000, () -> ledger.sent().size() - sentAtStop >= OUTAGE_SENDS))
                    .as("%d DMs sent into the outage", OUTAGE_SENDS).isTrue();
            long failedInOutage = server.durable().stats().failedAttempts() - failedAtStop;
            backlogPeak.set(maxBacklogRecovery);
            long restartAtMs = System.currentTimeMillis();
            pg = EmbeddedDatabase.start(pgDir, pgPort, PG_CONFIG);
            long upAtMs = System.currentTimeMillis();

            // ---- recovery
            assertThat(DeliveryLedger.await(30_000, () -> health(broker).statusCode() == 200))
                    .as("health back to 200").isTrue();
            int sentAtRecovery = ledger.sent().size();
            assertThat(DeliveryLedger.await(30_000, () -> ledger.sent().size() - sentAtRecovery >= PHASE_SENDS))
                    .as("traffic goes on after the recovery").isTrue();
            load.shutdown();
            assertThat(load.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
            assertThat(DeliveryLedger.await(60_000, ledger::allAcked)).as("every send answered").isTrue();
            assertThat(DeliveryLedger.await(30_000, ledger::allAckedDelivered))
                    .as("every acked DM delivered; missing: %s", ledger.missing()).isTrue();

            // ---- the numbers
            DeliveryLedger.Report r = ledger.report();
            int sentInOutage = 0;
            int ackedInOutage = 0;
            int lateAcksOfEarlierSends = 0;
            long firstAckAfter = Long.MAX_VALUE;
            for (DeliveryLedger.Sent s : ledger.sent().values()) {
                DeliveryLedger.Ack a = ledger.ack(s.clientId());
                boolean ackedWhileDown = a.atMs() >= stoppedAtMs && a.atMs() < restartAtMs;
                if (s.atMs() >= stoppedAtMs && s.atMs() < restartAtMs) {
                    sentInOutage++;
                    firstAckAfter = Math.min(firstAckAfter, a.atMs());
                    if (ackedWhileDown) {
                        ackedInOutage++;
                    }
                } else if (ackedWhileDown) {
                    // committed before the server stopped; its ack was still on its way (a busy machine)
                    lateAcksOfEarlierSends++;
                }
            }
            List<String> acked = ledger.ackedMessageIds();
            Set<String> stored = messageIds(jdbcUrl);
            long undeliveredRows = countUndelivered(jdbcUrl);
            System.out.printf("[reliability] db-outage: outage=%d ms (stop→start), load=%d DMs/s over %d peers, %s"
                            + ", sentDuringOutage=%d, ackedDuringOutage=%d (late acks of earlier commits %d)"
                            + ", firstAckOfOutageSendAfterRestart=+%d ms"
                            + ", multicastPushedAfterStop=+%d ms, highWater=%d, peakBacklog down=%d recovery=%d"
                            + ", duringPressure: sent=%d routed=%d, failedWriterAttemptsInOutage=%d"
                            + ", storedAcked=%d/%d%n",
                    upAtMs - stoppedAtMs, 1000 / SEND_PERIOD_MS, PEERS, r, sentInOutage, ackedInOutage,
                    lateAcksOfEarlierSends,
                    firstAckAfter - restartAtMs, multicastAt - stoppedAtMs, HIGH_WATER, maxBacklogDown.get(),
                    maxBacklogRecovery.get(),
                    sentDuringPressure, routedDuringPressure, failedInOutage,
                    acked.stream().filter(stored::contains).count(), acked.size());

            assertThat(r.rejected()).isZero();
            assertThat(r.lost()).isZero();
            assertThat(r.corrupt()).isZero();
            assertThat(r.acked()).isEqualTo(r.sent());
            assertThat(sentInOutage).isGreaterThan(1_000);
            assertThat(failedInOutage).as("the writer kept retrying its batch while the database was down")
                    .isGreaterThanOrEqualTo(2);
            assertThat(ackedInOutage).as("acks of DMs sent while the database was down, before it was back").isZero();
            assertThat(firstAckAfter).isGreaterThanOrEqualTo(restartAtMs);
            assertThat(stored).containsAll(acked);
            // back-pressure: the broker stopped reading, so while the database was down the backlog stayed near
            // the mark (what was already read when it passed the mark, plus nothing) although the senders went on
            assertThat(sentDuringPressure).isGreaterThan(100);
            assertThat(routedDuringPressure).isLessThan(sentDuringPressure / 4);
            assertThat(maxBacklogDown.get()).isLessThan(HIGH_WATER + HIGH_WATER / 2);
            // on resume each socket's buffered frames arrive in one read loop before the next pause takes effect:
            // bounded by what the sockets held (3 ops per DM sent during the outage), not by the mark
            assertThat(maxBacklogRecovery.get()).isLessThan(3L * sentInOutage + HIGH_WATER);
            assertThat(DeliveryLedger.await(10_000, () -> countUndeliveredQuietly(jdbcUrl) == 0))
                    .as("every delivered DM marked delivered (%d left)", undeliveredRows).isTrue();
        }
    }

    private static HttpResponse<String> health(BrokerFixture broker) {
        try {
            return broker.request("GET", "/health", null, null);
        } catch (Exception e) {
            throw new AssertionError("GET /health failed", e);
        }
    }

    private static long routed(BrokerServer server) {
        return server.broker().metrics().messagesRouted().values().stream().mapToLong(LongAdder::sum).sum();
    }

    private static Set<String> messageIds(String jdbcUrl) throws Exception {
        Set<String> ids = new HashSet<>();
        try (Connection c = DriverManager.getConnection(jdbcUrl); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select id from mesh.message_queue")) {
            while (rs.next()) {
                ids.add(rs.getString(1));
            }
        }
        return ids;
    }

    private static long countUndelivered(String jdbcUrl) throws Exception {
        return Sql.count(jdbcUrl, "select count(*) from mesh.message_queue_status where delivered_at is null");
    }

    private static long countUndeliveredQuietly(String jdbcUrl) {
        try {
            return countUndelivered(jdbcUrl);
        } catch (Exception e) {
            return -1;
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }
}
