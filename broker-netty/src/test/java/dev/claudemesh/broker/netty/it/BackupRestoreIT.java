package dev.claudemesh.broker.netty.it;

import dev.claudemesh.broker.core.crypto.Ed25519;
import dev.claudemesh.broker.core.testing.Identities;
import dev.claudemesh.broker.netty.BrokerConfig;
import dev.claudemesh.broker.netty.BrokerServer;
import dev.claudemesh.broker.netty.cli.Cli;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.claudemesh.broker.netty.it.BrokerFixture.jsonField;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code backup} and {@code restore} as an operator runs them: a backup taken from a broker that keeps running on the
 * embedded PostgreSQL (another process, holding the data directory), restored into a fresh directory, and a broker
 * started there that has everything — both meshes and their members (their hellos are accepted), the DMs that were
 * held for a busy member (delivered when he comes back), and audit chains that verify, and keep verifying as the new
 * broker appends to them. Also: a second backup of the restored directory carries the same rows byte for byte; a
 * directory that is not empty is refused with one line and exit 2; a damaged file is refused by its checksum before
 * anything is created.
 */
class BackupRestoreIT {

    private static final String ADMIN_TOKEN = "backup-restore-admin-token";
    private static final Pattern EVENTS = Pattern.compile("\"ok\":true,\"events\":(\\d+)");

    @TempDir
    Path tmp;

    private final List<AutoCloseable> open = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @AfterEach
    void tearDown() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    @Test
    @Timeout(600)
    void shouldRestoreMeshesMembersQueuedDmsAndAuditChainsIntoAFreshDirectory() throws Exception {
        Path sourceDir = tmp.resolve("source");
        Path restoredDir = tmp.resolve("restored");
        Path file = tmp.resolve("backups").resolve("broker.backup");

        int port = DatabaseOutageIT.freePort();
        BrokerProcess source = BrokerProcess.start(env(sourceDir, port), List.of());
        open.add(() -> {
            source.sigterm();
            source.awaitExit(60_000);
        });
        source.awaitPort(180_000); // the first start runs initdb
        AdminHttp admin = new AdminHttp("http://127.0.0.1:" + port, http, ADMIN_TOKEN);
        String team = admin.createMesh("backup-team");
        String ops = admin.createMesh("backup-ops");
        Identities.MemberKeys alice = admin.addMember(team, "alice");
        Identities.MemberKeys bob = admin.addMember(team, "bob");
        Identities.MemberKeys carol = admin.addMember(ops, "carol");
        Ed25519.KeyPair bobKey = Ed25519.generate();
        BrokerFixture.Peer a = session(port, alice, Ed25519.generate(), "a");
        BrokerFixture.Peer b = session(port, bob, bobKey, "b");
        // bob is busy: "next" DMs are held for him (acked queued:true, so in the database), not pushed
        b.ws().send("{\"type\":\"set_status\",\"status\":\"dnd\"}");
        b.ws().send("{\"type\":\"list_peers\",\"_reqId\":\"after-dnd\"}");
        b.ws().await(s -> s.contains("\"_reqId\":\"after-dnd\""), 10_000);
        List<String> held = new ArrayList<>();
        List<String> texts = List.of("aGVsZCBvbmU=", "aGVsZCB0d28=");
        for (String text : texts) {
            a.ws().send(Identities.send("held-" + held.size(), bobKey.publicKeyHex(), "next", "bm9uY2U=", text));
            String ack = a.ws().await(s -> s.contains("\"type\":\"ack\"") && s.contains("held-" + held.size()),
                    10_000);
            assertThat(ack).contains("\"queued\":true");
            held.add(jsonField(ack, "messageId"));
        }
        a.ws().abort();
        b.ws().abort();
        int teamEvents = auditEvents(admin, team);
        int opsEvents = auditEvents(admin, ops);
        assertThat(teamEvents).as("mesh, members and sessions are in the team's chain").isGreaterThan(2);

        // the broker keeps running: the backup reaches its embedded server with the port and password it keeps
        assertThat(cli("backup", file.toString(), "--data-dir", sourceDir.toString())).as(err()).isEqualTo(Cli.OK);
        assertThat(out()).contains("\"schemaVersion\":\"").contains("\"sha256\":\"");
        assertThat(err()).contains("the running broker's database (pid " + source.pid() + ")");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(health(port)).as("the broker was not disturbed").isEqualTo(200);

        assertThat(cli("restore", file.toString(), "--data-dir", restoredDir.toString())).as(err()).isEqualTo(Cli.OK);
        assertThat(out()).contains("\"rows\":");
        // no broker on the restored directory: the backup starts its server for the duration
        Path again = tmp.resolve("backups").resolve("again.backup");
        assertThat(cli("backup", again.toString(), "--data-dir", restoredDir.toString())).as(err()).isEqualTo(Cli.OK);
        assertThat(dataSection(again)).as("the restored rows, byte for byte").isEqualTo(dataSection(file));

        Map<String, String> restoredEnv = env(restoredDir, 0);
        BrokerServer restored = BrokerServer.start(BrokerConfig.load(restoredEnv, List.of()));
        open.add(restored);
        int port2 = restored.port();
        AdminHttp admin2 = new AdminHttp("http://127.0.0.1:" + port2, http, ADMIN_TOKEN);
        assertThat(auditEvents(admin2, team)).isGreaterThanOrEqualTo(teamEvents);
        assertThat(auditEvents(admin2, ops)).isEqualTo(opsEvents);

        BrokerFixture.Peer b2 = session(port2, bob, bobKey, "b");
        for (int i = 0; i < held.size(); i++) {
            String push = b2.ws().await("\"messageId\":\"" + held.get(i) + "\"");
            assertThat(push).contains("\"ciphertext\":\"" + texts.get(i) + "\"")
                    .contains("\"senderPubkey\":\"" + a.key() + "\"");
        }
        session(port2, alice, Ed25519.generate(), "a2").ws().abort();
        session(port2, carol, Ed25519.generate(), "c").ws().abort();
        b2.ws().abort();
        // the new broker appends to the restored chains (sessions, deliveries) and they still verify
        assertThat(auditEvents(admin2, team)).isGreaterThan(teamEvents);
        assertThat(auditEvents(admin2, ops)).isGreaterThan(opsEvents);
    }

    @Test
    @Timeout(300)
    void shouldRefuseADirectoryThatIsNotEmptyAndADamagedFile() throws Exception {
        BrokerFixture broker = new BrokerFixture(Map.of());
        open.add(broker);
        String mesh = broker.createMesh("backup-refusals");
        broker.addMember(mesh, "dave");
        Path file = tmp.resolve("b.backup");
        assertThat(cli("backup", file.toString(), "--database-url", broker.databaseUrl())).as(err())
                .isEqualTo(Cli.OK);

        Path used = Files.createDirectories(tmp.resolve("used"));
        Files.writeString(used.resolve("keep-me"), "x");
        assertThat(cli("restore", file.toString(), "--data-dir", used.toString())).isEqualTo(Cli.USAGE);
        assertThat(err().lines().toList()).containsExactly("error: restore: BROKER_DATA_DIR " + used
                + " is not empty (restore writes only into an empty or new directory, never over a database)");
        assertThat(Files.list(used).toList()).containsExactly(used.resolve("keep-me"));

        assertThat(cli("restore", file.toString(), "--database-url", broker.databaseUrl())).isEqualTo(Cli.FAILED);
        assertThat(err()).contains("error: restore: the target database is not empty");

        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length / 2] ^= 0x01;
        Path damaged = Files.write(tmp.resolve("damaged.backup"), bytes);
        Path fresh = tmp.resolve("fresh");
        assertThat(cli("restore", damaged.toString(), "--data-dir", fresh.toString())).isEqualTo(Cli.FAILED);
        assertThat(err().lines().toList()).hasSize(1).first().asString()
                .startsWith("error: restore: " + damaged + " is damaged").endsWith("(checksum mismatch)");
        assertThat(fresh).as("nothing created for a damaged file").doesNotExist();
    }

    private int cli(String... args) {
        out.reset();
        err.reset();
        return Cli.run(args, Map.of(), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    private static Map<String, String> env(Path dataDir, int port) {
        Map<String, String> env = new HashMap<>();
        env.put("BROKER_PORT", String.valueOf(port));
        env.put("BROKER_BIND", "127.0.0.1");
        env.put("BROKER_DATA_DIR", dataDir.toString());
        env.put("BROKER_ADMIN_TOKEN", ADMIN_TOKEN);
        env.put("BROKER_EVENT_LOOP_THREADS", "2");
        return env;
    }

    private static BrokerFixture.Peer session(int port, Identities.MemberKeys m, Ed25519.KeyPair keys, String id) {
        WsClient ws = WsClient.connect(port);
        ws.send(Identities.sessionHello(m, keys, id, System.currentTimeMillis(), 3_600_000, "n-" + id, null));
        String ack = ws.await(s -> s.contains("\"type\":\"hello_ack\"") || s.contains("\"type\":\"error\""), 10_000);
        assertThat(ack).contains("hello_ack");
        return new BrokerFixture.Peer(ws, keys, jsonField(ack, "presenceId"), ack);
    }

    /** The chain's length once it verifies and has stopped growing (the writer appends asynchronously). */
    private static int auditEvents(AdminHttp admin, String mesh) throws Exception {
        int[] last = {-1};
        int[] stable = {0};
        boolean settled = DeliveryLedger.await(30_000, () -> {
            try {
                HttpResponse<String> r = admin.request("GET", "/admin/meshes/" + mesh + "/audit/verify", null,
                        ADMIN_TOKEN);
                Matcher m = EVENTS.matcher(r.body());
                if (r.statusCode() != 200 || !m.find()) {
                    throw new AssertionError("audit verify: " + r.statusCode() + " " + r.body());
                }
                int n = Integer.parseInt(m.group(1));
                stable[0] = n == last[0] ? stable[0] + 1 : 0;
                last[0] = n;
                return stable[0] >= 10; // half a second without growth
            } catch (AssertionError e) {
                throw e;
            } catch (Exception e) {
                return false;
            }
        });
        assertThat(settled).as("audit chain of " + mesh + " settles").isTrue();
        return last[0];
    }

    private int health(int port) throws Exception {
        return new AdminHttp("http://127.0.0.1:" + port, http, null).request("GET", "/health", null, null)
                .statusCode();
    }

    /** Everything from the first TABLE line to END: the rows, without the header's time. */
    private static String dataSection(Path file) throws Exception {
        String text = Files.readString(file, StandardCharsets.UTF_8);
        return text.substring(text.indexOf("\nTABLE "), text.lastIndexOf("\nEND\n"));
    }
}
