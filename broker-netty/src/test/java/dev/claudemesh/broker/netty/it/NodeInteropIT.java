package dev.claudemesh.broker.netty.it;

import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Interop with the JavaScript libraries real claudemesh clients use ({@code ws} and {@code libsodium-wrappers},
 * driven by Node): two clients sign real session_hellos with libsodium, one seals a DM with crypto_box_easy to the
 * other's session key, the other receives the push through this broker, decrypts it and client_acks it
 * ({@code src/test/node/interop.mjs}). Node and the npm packages are required: the test fails, not skips, without them.
 */
class NodeInteropIT {

    private static final Path NODE_DIR = Path.of("src/test/node");

    @Test
    void shouldInteroperateWithWsAndLibsodiumClients() throws Exception {
        if (!Files.isDirectory(NODE_DIR.resolve("node_modules"))) {
            run(List.of("npm", "ci", "--no-audit", "--no-fund"), 300);
        }
        try (BrokerFixture broker = new BrokerFixture()) {
            String out = run(List.of("node", "interop.mjs", "--url", "ws://127.0.0.1:" + broker.port() + "/ws",
                    "--admin-url", "http://127.0.0.1:" + broker.port(), "--admin-token", BrokerFixture.ADMIN_TOKEN), 60);
            assertThat(out).contains("{\"ok\":true").contains("\"decrypted\":true").contains("\"delivered\":true");
            String meshId = BrokerFixture.jsonField(out, "meshId");
            String messageId = out.replaceAll("(?s).*\"dm\":\\{\"messageId\":\"([0-9A-Za-z]{32})\".*", "$1");
            // bob's client_ack reached the broker: the DM is marked delivered in PostgreSQL
            Sql.await(broker.databaseUrl(), "select count(*) from mesh.message_queue_status where mesh_id = '" + meshId
                    + "' and id = '" + messageId + "' and delivered_at is not null", 1);
        }
    }

    /**
     * Topics as the CLI does them ({@code src/test/node/topics.mjs}): {@code ws} for topic_create, API keys and
     * {@code #topic} sends; libsodium to open the broker-sealed topic key, re-seal it for another member and
     * encrypt/decrypt v2 bodies; {@code fetch} for the REST API and the event stream (REST and WebSocket posts on it,
     * resume with {@code Last-Event-ID}).
     */
    @Test
    void shouldServeTopicsToWsLibsodiumAndFetchClients() throws Exception {
        if (!Files.isDirectory(NODE_DIR.resolve("node_modules"))) {
            run(List.of("npm", "ci", "--no-audit", "--no-fund"), 300);
        }
        try (BrokerFixture broker = new BrokerFixture()) {
            String out = run(List.of("node", "topics.mjs", "--url", "ws://127.0.0.1:" + broker.port() + "/ws",
                    "--admin-url", "http://127.0.0.1:" + broker.port(), "--admin-token", BrokerFixture.ADMIN_TOKEN), 90);
            assertThat(out).contains("{\"ok\":true").contains("\"topicKeyOpened\":true").contains("\"resealed\":true")
                    .contains("\"stream\":{\"rest\":true,\"websocket\":true,\"resumed\":true}");
            String topicId = BrokerFixture.jsonField(out, "topicId");
            // the broker kept ciphertext and sealed keys only: alice's creator copy and bob's re-sealed one
            Sql.await(broker.databaseUrl(), "select count(*) from mesh.topic_member_key where topic_id = '" + topicId
                    + "'", 2);
        }
    }

    /**
     * The workspace (PROTOCOL-MESH §4-§6) through the two ways the CLI matches replies (§0.2): a daemon-style client
     * (one socket, by {@code _reqId} only, waiting for {@code state_data}, {@code memoryId},
     * {@code memory_recall_result}) and cold-path clients (a socket per verb, per-reply-type FIFO maps, fire-and-forget
     * {@code set_state}/{@code forget}/{@code claim_task}/{@code complete_task}) — {@code src/test/node/workspace.mjs}.
     */
    @Test
    void shouldServeTheWorkspaceToDaemonAndColdPathStyleClients() throws Exception {
        if (!Files.isDirectory(NODE_DIR.resolve("node_modules"))) {
            run(List.of("npm", "ci", "--no-audit", "--no-fund"), 300);
        }
        try (BrokerFixture broker = new BrokerFixture()) {
            String out = run(List.of("node", "workspace.mjs", "--url", "ws://127.0.0.1:" + broker.port() + "/ws",
                    "--admin-url", "http://127.0.0.1:" + broker.port(), "--admin-token", BrokerFixture.ADMIN_TOKEN),
                    90);
            assertThat(out).contains("{\"ok\":true").contains("\"stateData\":true").contains("\"notSet\":true")
                    .contains("\"claimedBy\":\"bob\"").contains("\"fifoFallbacks\":0");
            String meshId = BrokerFixture.jsonField(out, "meshId");
            String taskId = out.replaceAll("(?s).*\"coldPath\":\\{[^}]*\"taskId\":\"([0-9A-Za-z]{32})\".*", "$1");
            assertThat(Sql.string(broker.databaseUrl(), "select status || ' ' || claimed_by_name || ' ' || result "
                    + "from mesh.task where mesh_id = '" + meshId + "' and id = '" + taskId + "'"))
                    .isEqualTo("done bob shipped");
            assertThat(Sql.string(broker.databaseUrl(), "select value->>'version' from mesh.state where mesh_id = '"
                    + meshId + "' and key = 'release'")).isEqualTo("1.6.0");
        }
    }

    private static String run(List<String> command, int timeoutS) throws Exception {
        File log = File.createTempFile("node-interop", ".log");
        Process p = new ProcessBuilder(command).directory(NODE_DIR.toFile()).redirectErrorStream(true)
                .redirectOutput(log).start();
        boolean done = p.waitFor(timeoutS, TimeUnit.SECONDS);
        String out = Files.readString(log.toPath(), StandardCharsets.UTF_8);
        if (!done) {
            p.destroyForcibly();
            throw new AssertionError(command + " timed out: " + out);
        }
        assertThat(p.exitValue()).as(command + " output: " + out).isZero();
        return out;
    }
}
