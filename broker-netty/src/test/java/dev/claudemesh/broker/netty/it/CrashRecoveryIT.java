package dev.claudemesh.broker.netty.it;

import dev.claudemesh.broker.core.crypto.Ed25519;
import dev.claudemesh.broker.core.testing.Identities;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * DESIGN "Invariants" ({@code queued:true} means durable) against {@code kill -9}: the broker runs as its own JVM
 * ({@link BrokerProcess}) on a fresh real PostgreSQL database while four session peers exchange DMs in a ring, and
 * is killed with SIGKILL ({@link Process#destroyForcibly()}) at a random moment, five times, each time restarted on
 * the same database and port. The peers reconnect with the same session keys after every restart. Every DM that was
 * acked {@code queued:true} before a kill must reach its recipient, byte for byte, and the audit chain must verify
 * after every restart.
 */
class CrashRecoveryIT {

    private static final String ADMIN_TOKEN = "crash-admin-token";
    private static final int PEERS = 4;
    private static final int KILLS = 5;
    /** One DM every 5 ms across the ring: 200 DMs/s. */
    private static final long SEND_PERIOD_MS = 5;

    @TempDir
    Path dataDir;

    private final List<LoadPeer> peers = new ArrayList<>();
    private ScheduledExecutorService load;
    private BrokerProcess broker;

    @AfterEach
    void tearDown() {
        stopLoad();
        peers.forEach(LoadPeer::abort);
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    @Timeout(240)
    void shouldDeliverEveryAckedDmAfterRepeatedKill9AndKeepTheAuditChainValid() throws Exception {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        int port = DatabaseOutageIT.freePort();
        Map<String, String> env = Map.of(
                "BROKER_PORT", String.valueOf(port),
                "BROKER_BIND", "127.0.0.1",
                "DATABASE_URL", TestDb.newDatabaseUrl(),
                "BROKER_DATA_DIR", dataDir.toString(),
                "BROKER_ADMIN_TOKEN", ADMIN_TOKEN,
                "BROKER_EVENT_LOOP_THREADS", "2",
                "SEND_RATE_LIMIT_PER_MIN", "0");
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        AdminHttp admin = new AdminHttp("http://127.0.0.1:" + port, http, ADMIN_TOKEN);
        DeliveryLedger ledger = new DeliveryLedger("dm-", 128);
        String mesh = null;
        List<Identities.MemberKeys> members = new ArrayList<>();
        List<Ed25519.KeyPair> sessionKeys = new ArrayList<>();
        List<String> kills = new ArrayList<>();
        List<String> audits = new ArrayList<>();

        for (int cycle = 0; cycle <= KILLS; cycle++) {
            broker = BrokerProcess.start(env, List.of());
            broker.awaitPort(90_000);
            if (mesh == null) {
                mesh = admin.createMesh("crash");
                for (int i = 0; i < PEERS; i++) {
                    members.add(admin.addMember(mesh, "peer" + i));
                    sessionKeys.add(Ed25519.generate());
                }
            } else {
                audits.add(verifyAudit(admin, mesh));
            }
            int acksBefore = ledger.ackedMessageIds().size();
            for (int i = 0; i < PEERS; i++) {
                peers.add(LoadPeer.connect(port, ledger, members.get(i), sessionKeys.get(i), "s" + i, null));
            }
            if (cycle == KILLS) {
                break;
            }
            AtomicInteger tick = new AtomicInteger();
            load = Executors.newSingleThreadScheduledExecutor();
            load.scheduleAtFixedRate(() -> {
                int i = tick.getAndIncrement() % PEERS;
                peers.get(i).sendDm(peers.get((i + 1) % PEERS).key());
            }, 0, SEND_PERIOD_MS, TimeUnit.MILLISECONDS);
            long runMs = 300 + random.nextInt(2_200);
            Thread.sleep(runMs);
            broker.close(); // SIGKILL, waits for the process to be gone
            stopLoad();
            kills.add("kill" + (cycle + 1) + "@" + runMs + "ms(acked+" + (ledger.ackedMessageIds().size() - acksBefore)
                    + ")");
            peers.forEach(LoadPeer::abort);
            peers.clear();
        }

        // after the last restart the recipients are back with the same session keys: every acked DM must arrive
        boolean complete = DeliveryLedger.await(60_000, ledger::allAckedDelivered);
        audits.add(verifyAudit(admin, mesh));
        DeliveryLedger.Report r = ledger.report();
        System.out.printf("[reliability] crash: %d x kill -9 at random moments (seed %d: %s), load=%d DMs/s over %d "
                        + "peers, %s, audit after each restart: %s%n", KILLS, seed, String.join(" ", kills),
                1000 / SEND_PERIOD_MS, PEERS, r, String.join(" ", audits));
        assertThat(complete).as("acked DMs never delivered: %s", ledger.missing()).isTrue();
        assertThat(r.lost()).isZero();
        assertThat(r.corrupt()).isZero();
        assertThat(r.acked()).isGreaterThan(KILLS * 20);
        assertThat(audits).allMatch(a -> a.startsWith("ok"));
    }

    /**
     * The pipelined writer ({@code BROKER_WRITER_PIPELINE=2}) with small batches ({@code BROKER_WRITER_BATCH_SIZE=16})
     * under 500 DMs/s over two meshes, so that a batch is nearly always executing while the one before it commits:
     * killed with SIGKILL three times at random moments (after a random 150 to 900 more acks), it loses no acked DM, stores none twice, applies no batch
     * twice (no more {@code message_sent} audit rows than sends), and every mesh's audit chain verifies after every
     * restart.
     */
    @Test
    @Timeout(240)
    void shouldLoseAndDuplicateNothingAckedWhenKilledWithPipelinedBatchesInFlight() throws Exception {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        int port = DatabaseOutageIT.freePort();
        String databaseUrl = TestDb.newDatabaseUrl();
        Map<String, String> env = Map.of(
                "BROKER_PORT", String.valueOf(port),
                "BROKER_BIND", "127.0.0.1",
                "DATABASE_URL", databaseUrl,
                "BROKER_DATA_DIR", dataDir.toString(),
                "BROKER_ADMIN_TOKEN", ADMIN_TOKEN,
                "BROKER_EVENT_LOOP_THREADS", "2",
                "BROKER_WRITER_PIPELINE", "2",
                "BROKER_WRITER_BATCH_SIZE", "16",
                "SEND_RATE_LIMIT_PER_MIN", "0");
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        AdminHttp admin = new AdminHttp("http://127.0.0.1:" + port, http, ADMIN_TOKEN);
        DeliveryLedger ledger = new DeliveryLedger("dm-", 128);
        List<String> meshes = new ArrayList<>();
        List<Identities.MemberKeys> members = new ArrayList<>();
        List<Ed25519.KeyPair> sessionKeys = new ArrayList<>();
        List<String> kills = new ArrayList<>();
        List<String> audits = new ArrayList<>();
        int perMesh = 3;
        int pipelinedKills = 3;

        for (int cycle = 0; cycle <= pipelinedKills; cycle++) {
            broker = BrokerProcess.start(env, List.of());
            broker.awaitPort(90_000);
            if (meshes.isEmpty()) {
                for (int m = 0; m < 2; m++) {
                    meshes.add(admin.createMesh("crash-pipe-" + m));
                    for (int i = 0; i < perMesh; i++) {
                        members.add(admin.addMember(meshes.get(m), "peer" + m + "-" + i));
                        sessionKeys.add(Ed25519.generate());
                    }
                }
            } else {
                for (String mesh : meshes) {
                    audits.add(verifyAudit(admin, mesh));
                }
            }
            int acksBefore = ledger.ackedMessageIds().size();
            for (int i = 0; i < members.size(); i++) {
                peers.add(LoadPeer.connect(port, ledger, members.get(i), sessionKeys.get(i), "s" + i, null));
            }
            if (cycle == pipelinedKills) {
                break;
            }
            AtomicInteger tick = new AtomicInteger();
            load = Executors.newSingleThreadScheduledExecutor();
            load.scheduleAtFixedRate(() -> {
                int i = tick.getAndIncrement() % members.size();
                int base = i / perMesh * perMesh;
                peers.get(i).sendDm(peers.get(base + (i - base + 1) % perMesh).key());
            }, 0, 2, TimeUnit.MILLISECONDS);
            // a random moment in the ack stream (about 0.3 to 2 s of load), not a fixed time: the kill lands while
            // acks flow, i.e. while batches are being executed and committed
            int killAt = acksBefore + 150 + random.nextInt(750);
            long t0 = System.nanoTime();
            DeliveryLedger.await(30_000, () -> ledger.ackedMessageIds().size() >= killAt);
            broker.close(); // SIGKILL, waits for the process to be gone
            stopLoad();
            kills.add("kill" + (cycle + 1) + "@" + (System.nanoTime() - t0) / 1_000_000 + "ms(acked+"
                    + (ledger.ackedMessageIds().size() - acksBefore) + ")");
            peers.forEach(LoadPeer::abort);
            peers.clear();
        }

        boolean complete = DeliveryLedger.await(60_000, ledger::allAckedDelivered);
        for (String mesh : meshes) {
            audits.add(verifyAudit(admin, mesh));
        }
        DeliveryLedger.Report r = ledger.report();
        List<String> acked = ledger.ackedMessageIds();
        String ackedIds = "ARRAY['" + String.join("','", acked) + "']::varchar[]";
        long storedAcked = Sql.count(databaseUrl, "SELECT count(*) FROM mesh.message_queue WHERE id = ANY(" + ackedIds
                + ")");
        long storedTwice = Sql.count(databaseUrl, "SELECT count(*) FROM (SELECT 1 FROM mesh.message_queue "
                + "WHERE client_message_id IS NOT NULL GROUP BY sender_pubkey, client_message_id HAVING count(*) > 1) d");
        long sentAudits = Sql.count(databaseUrl, "SELECT count(*) FROM mesh.audit_log WHERE event_type = "
                + "'message_sent'");
        System.out.printf("[reliability] crash, pipelined writer: %d x kill -9 (seed %d: %s), 500 DMs/s over 2 meshes, "
                        + "%s, stored acked=%d twice=%d, message_sent rows=%d, audit after each restart: %s%n",
                pipelinedKills, seed, String.join(" ", kills), r, storedAcked, storedTwice, sentAudits,
                String.join(" ", audits));
        assertThat(complete).as("acked DMs never delivered: %s", ledger.missing()).isTrue();
        assertThat(r.lost()).isZero();
        assertThat(r.corrupt()).isZero();
        assertThat(r.acked()).isGreaterThan(pipelinedKills * 50);
        assertThat(storedAcked).as("every acked DM has its row").isEqualTo(acked.size());
        assertThat(storedTwice).as("no DM stored twice").isZero();
        // the audit row follows its DM's queue row (SendHandler), so a kill may leave an acked DM without one; a batch
        // applied twice would leave more rows than sends
        assertThat(sentAudits).as("no batch applied twice: at most one message_sent per send")
                .isPositive().isLessThanOrEqualTo(r.sent());
        assertThat(audits).hasSize(2 * pipelinedKills + 2).allMatch(a -> a.startsWith("ok"));
    }

    /** GET /admin/meshes/{mesh}/audit/verify; "ok(N events)" or the body. */
    private static String verifyAudit(AdminHttp admin, String mesh) throws Exception {
        HttpResponse<String> v = admin.request("GET", "/admin/meshes/" + mesh + "/audit/verify", null, ADMIN_TOKEN);
        if (v.statusCode() == 200 && v.body().contains("\"ok\":true")) {
            return "ok(" + v.body().replaceAll(".*\"events\":(\\d+).*", "$1") + ")";
        }
        return v.statusCode() + " " + v.body();
    }

    private void stopLoad() {
        if (load != null) {
            load.shutdownNow();
            try {
                load.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            load = null;
        }
    }
}
