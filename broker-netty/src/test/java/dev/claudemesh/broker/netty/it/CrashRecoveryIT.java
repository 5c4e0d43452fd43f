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
