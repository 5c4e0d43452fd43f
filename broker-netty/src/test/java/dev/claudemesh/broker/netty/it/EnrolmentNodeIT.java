package dev.claudemesh.broker.netty.it;

import dev.claudemesh.broker.core.crypto.Hex;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Invites against the JavaScript libraries the claudemesh CLI uses ({@code libsodium-wrappers}, {@code ws}, driven
 * by Node; {@code src/test/node/invite-*.mjs}):
 * <ul>
 *   <li>{@code invite-join.mjs} parses the broker's {@code ic://join/<token>} link and verifies the owner's
 *       signature over the canonical string with {@code crypto_sign_verify_detached} exactly as the CLI does, then
 *       enrols a libsodium key through {@code /join} and authenticates with it;</li>
 *   <li>{@code invite-sign.mjs} signs payloads with libsodium and the broker verifies them: the owner's seed
 *       reproduces the broker's signature byte for byte and is accepted; another key's signatures are refused
 *       {@code invite_owner_mismatch} / {@code invite_bad_signature}.</li>
 * </ul>
 * Node and the npm packages are required: the test fails, not skips, without them.
 */
class EnrolmentNodeIT {

    private static final Path NODE_DIR = Path.of("src/test/node");

    @Test
    void shouldInteroperateWithLibsodiumInviteSignaturesAndTheClisLinkParsing() throws Exception {
        if (!Files.isDirectory(NODE_DIR.resolve("node_modules"))) {
            run(List.of("npm", "ci", "--no-audit", "--no-fund"), Map.of(), 300);
        }
        try (BrokerFixture broker = new BrokerFixture()) {
            String meshId = broker.createMesh("node-enrol");
            String link = EnrolmentSupport.createInvite(broker, meshId, "{\"maxUses\":5}").link();

            String joined = run(List.of("node", "invite-join.mjs", "--link", link), Map.of(), 60);
            assertThat(joined).contains("{\"ok\":true,\"meshId\":\"" + meshId + "\"").contains("\"verified\":true")
                    .contains("\"tamperedRejected\":true").contains("\"alreadyMember\":true")
                    .contains("\"helloAck\":true");

            // the owner's seed, as stored without BROKER_ENCRYPTION_KEY (base64url), for libsodium
            String stored = Sql.string(broker.databaseUrl(), "select owner_secret from mesh.mesh_key where mesh_id = '"
                    + meshId + "' and secret_format = 'plain'");
            String seedHex = Hex.encode(Base64.getUrlDecoder().decode(stored));
            String signed = run(List.of("node", "invite-sign.mjs", "--link", link), Map.of("OWNER_SEED_HEX", seedHex),
                    60);
            assertThat(signed).contains("{\"ok\":true,\"sameSignature\":true")
                    .contains("\"rogueOwner\":\"invite_owner_mismatch\"")
                    .contains("\"forged\":\"invite_bad_signature\"");

            assertThat(Sql.count(broker.databaseUrl(), "select count(*) from mesh.member where mesh_id = '" + meshId
                    + "'")).isEqualTo(2);
            assertThat(Sql.string(broker.databaseUrl(), "select used_count from mesh.invite where mesh_id = '" + meshId
                    + "'")).isEqualTo("2");
        }
    }

    private static String run(List<String> command, Map<String, String> env, int timeoutS) throws Exception {
        File log = File.createTempFile("node-enrol", ".log");
        ProcessBuilder pb = new ProcessBuilder(command).directory(NODE_DIR.toFile()).redirectErrorStream(true)
                .redirectOutput(log);
        pb.environment().putAll(env);
        Process p = pb.start();
        boolean done = p.waitFor(timeoutS, TimeUnit.SECONDS);
        String out = Files.readString(log.toPath(), StandardCharsets.UTF_8);
        Files.deleteIfExists(log.toPath());
        if (!done) {
            p.destroyForcibly();
            throw new AssertionError(command.get(1) + " timed out: " + out);
        }
        assertThat(p.exitValue()).as(command.get(1) + " output: " + out).isZero();
        return out;
    }
}
