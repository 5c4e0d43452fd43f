package dev.claudemesh.broker.netty.it;

import dev.claudemesh.broker.core.crypto.Ed25519;
import dev.claudemesh.broker.core.testing.Identities;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static dev.claudemesh.broker.netty.it.BrokerFixture.jsonField;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * SIGTERM as systemd or Docker sends it (DESIGN "Operations"): the broker runs as its own JVM from the jar against a
 * fresh real PostgreSQL database, has live peers and a DM just acked, and is sent SIGTERM. It must close every socket
 * 1001 {@code shutting down}, leave the DM durable and undelivered in {@code message_queue}, mark every presence
 * disconnected, and exit 0 within 10 s.
 */
class ShutdownIT {

    private static final String ADMIN_TOKEN = "shutdown-admin-token";
    private static final String NONCE = "bm9uY2U=";
    private static final String CT = "aGVsZCBhY3Jvc3MgYSByZXN0YXJ0";
    private static final long STOP_BUDGET_MS = 10_000;

    @TempDir
    Path dataDir;

    @Test
    void shouldCloseSocketsFlushAndExitZeroWithinTenSecondsOnSigterm() throws Exception {
        String databaseUrl = TestDb.newDatabaseUrl();
        try (BrokerProcess broker = BrokerProcess.start(Map.of(
                "BROKER_PORT", "0",
                "BROKER_BIND", "127.0.0.1",
                "DATABASE_URL", databaseUrl,
                "BROKER_DATA_DIR", dataDir.toString(),
                "BROKER_ADMIN_TOKEN", ADMIN_TOKEN,
                "BROKER_EVENT_LOOP_THREADS", "2"), List.of())) {
            int port = broker.awaitPort(90_000);
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            AdminHttp admin = new AdminHttp("http://127.0.0.1:" + port, http, ADMIN_TOKEN);
            HttpResponse<String> health = admin.request("GET", "/health", null, null);
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(health.body()).contains("\"status\":\"ok\"").contains("\"db\":\"up\"");

            String mesh = admin.createMesh("sigterm");
            Identities.MemberKeys alice = admin.addMember(mesh, "alice");
            Identities.MemberKeys bob = admin.addMember(mesh, "bob");
            Identities.MemberKeys carol = admin.addMember(mesh, "carol");

            WsClient a = sessionPeer(port, alice, Ed25519.generate(), "a");
            Ed25519.KeyPair bobKey = Ed25519.generate();
            WsClient b = sessionPeer(port, bob, bobKey, "b");
            // carol's daemon: a control-plane hello (member key, no session key)
            WsClient c = WsClient.connect(port);
            c.send(Identities.hello(carol, null, "daemon-7", System.currentTimeMillis(), "carol-daemon"));
            assertThat(c.await(s -> s.contains("hello_ack") || s.contains("\"error\""), 5_000)).contains("hello_ack");

            // bob is busy: a `next` DM to him is held in his queue; carol is idle: a `now` DM is pushed, not acked
            b.send("{\"type\":\"set_status\",\"status\":\"working\"}");
            b.send("{\"type\":\"list_peers\",\"_reqId\":\"barrier\"}");
            b.awaitType("peers_list");
            a.send(Identities.send("held-1", bobKey.publicKeyHex(), "next", NONCE, CT));
            String heldAck = a.awaitType("ack");
            a.send(Identities.send("pushed-1", carol.pubkey(), "now", NONCE, CT));
            String pushedAck = a.awaitType("ack");
            assertThat(heldAck).contains("\"queued\":true");
            assertThat(pushedAck).contains("\"queued\":true");
            String heldId = jsonField(heldAck, "messageId");
            String pushedId = jsonField(pushedAck, "messageId");
            c.await("\"messageId\":\"" + pushedId + "\"");
            assertThat(Sql.count(databaseUrl, "select count(*) from mesh.presence where mesh_id = '" + mesh
                    + "' and disconnected_at is null")).isEqualTo(3);

            long stopAt = System.nanoTime();
            broker.sigterm();

            for (WsClient ws : List.of(a, b, c)) {
                assertThat(ws.awaitClose(STOP_BUDGET_MS)).isEqualTo(1001);
                assertThat(ws.closeReason()).isEqualTo("shutting down");
            }
            long leftMs = STOP_BUDGET_MS - (System.nanoTime() - stopAt) / 1_000_000;
            int exitCode = broker.awaitExit(Math.max(leftMs, 0));
            assertThat(exitCode).as("exit code; stdout:\n%s\nstderr:\n%s", broker.stdoutText(), broker.stderrText())
                    .isZero();
            assertThat(broker.stdoutText()).contains("shutting down").contains("stopped")
                    .doesNotContain("writer did not drain");

            // durable state, read after the process is gone
            assertThat(Sql.string(databaseUrl, "select ciphertext from mesh.message_queue_status where id = '" + heldId
                    + "' and delivered_at is null")).isEqualTo(CT);
            assertThat(Sql.string(databaseUrl, "select priority from mesh.message_queue where id = '" + heldId
                    + "'")).isEqualTo("next");
            assertThat(Sql.count(databaseUrl, "select count(*) from mesh.message_queue_status where id = '" + pushedId
                    + "' and delivered_at is null")).isEqualTo(1);
            assertThat(Sql.count(databaseUrl, "select count(*) from mesh.presence where mesh_id = '" + mesh
                    + "'")).isEqualTo(3);
            assertThat(Sql.count(databaseUrl, "select count(*) from mesh.presence where mesh_id = '" + mesh
                    + "' and disconnected_at is null")).isZero();
        }
    }

    private static WsClient sessionPeer(int port, Identities.MemberKeys member, Ed25519.KeyPair keys, String sid) {
        WsClient ws = WsClient.connect(port);
        ws.send(Identities.sessionHello(member, keys, sid, System.currentTimeMillis(), 3_600_000, "n-" + sid, null));
        String ack = ws.await(s -> s.contains("\"type\":\"hello_ack\"") || s.contains("\"type\":\"error\""), 5_000);
        assertThat(ack).contains("hello_ack");
        return ws;
    }
}
