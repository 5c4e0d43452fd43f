package dev.claudemesh.broker.netty.it;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.AppenderBase;
import dev.claudemesh.broker.core.testing.Identities;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.claudemesh.broker.netty.it.Requests.ask;
import static dev.claudemesh.broker.netty.it.Requests.withoutReqId;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The vault (PROTOCOL-MESH §13) end to end: every message type with its snake_case shape, entries scoped to
 * (mesh, member) — another member of the same mesh, and the same key enrolled in another mesh, neither read nor
 * delete them —, {@code bad_request}, the per-member quota and entry size, and no log line at any level carrying a
 * sealed text.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class VaultIT {

    /** What `claudemesh vault set` sends: standard base64 of a secretbox ciphertext, its nonce and the sealed key. */
    private static final String CIPHERTEXT = "q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA=";
    private static final String NONCE = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYX";
    private static final String SEALED = "c2VhbGVkLWtleS1mb3ItdGhlLW1lbWJlci1vbmx5LXNlYWxlZC1rZXktZm9yLXRoZQ==";

    private BrokerFixture broker;
    private final List<String> logged = new CopyOnWriteArrayList<>();
    private AppenderBase<ILoggingEvent> capture;
    private Level ourLevel;

    @BeforeAll
    void start() throws Exception {
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        Logger ours = (Logger) LoggerFactory.getLogger("dev.claudemesh");
        ourLevel = ours.getLevel();
        ours.setLevel(Level.DEBUG); // every line the broker could write, not only those the test config shows
        capture = new AppenderBase<>() {
            @Override
            protected void append(ILoggingEvent e) {
                StringBuilder b = new StringBuilder(e.getFormattedMessage());
                for (IThrowableProxy t = e.getThrowableProxy(); t != null; t = t.getCause()) {
                    b.append(' ').append(t.getMessage());
                }
                logged.add(b.toString());
            }
        };
        capture.setContext((LoggerContext) LoggerFactory.getILoggerFactory());
        capture.start();
        root.addAppender(capture);
        broker = new BrokerFixture(Map.of("BROKER_MAX_VAULT_ENTRIES_PER_MEMBER", "3",
                "BROKER_MAX_VAULT_ENTRY_BYTES", "1024"));
    }

    @AfterAll
    void stop() {
        if (broker != null) {
            broker.close();
        }
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(capture);
        ((Logger) LoggerFactory.getLogger("dev.claudemesh")).setLevel(ourLevel);
        // checked after the broker stopped, so every line it wrote for this class is in
        assertThat(logged).as("lines logged").isNotEmpty();
        assertThat(logged).noneMatch(l -> l.contains(CIPHERTEXT) || l.contains(NONCE) || l.contains(SEALED)
                || l.contains("s3cr3t"));
    }

    private static String set(String key, String extra) {
        return "{\"type\":\"vault_set\",\"key\":\"" + key + "\",\"ciphertext\":\"" + CIPHERTEXT + "\",\"nonce\":\""
                + NONCE + "\",\"sealed_key\":\"" + SEALED + "\"" + extra + "}";
    }

    private static String ack(String key, String action) {
        return "{\"type\":\"vault_ack\",\"key\":\"" + key + "\",\"action\":\"" + action + "\"}";
    }

    @Test
    void shouldSetListGetAndDeleteTheCallersEntries() throws Exception {
        String mesh = broker.createMesh("vault-shape");
        BrokerFixture.Peer a = broker.session(broker.addMember(mesh, "alice"), "a");
        assertThat(withoutReqId(ask(a.ws(), set("OPENAI_API_KEY", ",\"entry_type\":\"env\"")))).isEqualTo(
                ack("OPENAI_API_KEY", "stored"));
        assertThat(withoutReqId(ask(a.ws(), set("tls.pem", ",\"entry_type\":\"file\",\"mount_path\":\"/etc/tls.pem\","
                + "\"description\":\"staging cert\"")))).isEqualTo(ack("tls.pem", "stored"));

        assertThat(withoutReqId(ask(a.ws(), "{\"type\":\"vault_list\"}"))).matches("\\{\"type\":\"vault_list_result\","
                + "\"entries\":\\[\\{\"key\":\"OPENAI_API_KEY\",\"entry_type\":\"env\",\"mount_path\":null,"
                + "\"description\":null,\"updated_at\":\"[0-9T:.-]{23}Z\"},\\{\"key\":\"tls.pem\",\"entry_type\":\"file\","
                + "\"mount_path\":\"/etc/tls.pem\",\"description\":\"staging cert\",\"updated_at\":\"[0-9T:.-]{23}Z\"}]}");
        assertThat(withoutReqId(ask(a.ws(), "{\"type\":\"vault_get\",\"keys\":[\"tls.pem\",\"missing\",\"OPENAI_API_KEY\"]}")))
                .isEqualTo("{\"type\":\"vault_get_result\",\"entries\":[{\"key\":\"OPENAI_API_KEY\",\"ciphertext\":\""
                        + CIPHERTEXT + "\",\"nonce\":\"" + NONCE + "\",\"sealed_key\":\"" + SEALED + "\",\"entry_type\":"
                        + "\"env\",\"mount_path\":null},{\"key\":\"tls.pem\",\"ciphertext\":\"" + CIPHERTEXT
                        + "\",\"nonce\":\"" + NONCE + "\",\"sealed_key\":\"" + SEALED + "\",\"entry_type\":\"file\","
                        + "\"mount_path\":\"/etc/tls.pem\"}]}");
        assertThat(withoutReqId(ask(a.ws(), "{\"type\":\"vault_get\",\"keys\":[]}")))
                .isEqualTo("{\"type\":\"vault_get_result\",\"entries\":[]}");
        // stored as given: the broker never opens it
        assertThat(Sql.string(broker.databaseUrl(), "select ciphertext || ' ' || nonce || ' ' || sealed_key from "
                + "mesh.vault_entry where mesh_id = '" + mesh + "' and key = 'OPENAI_API_KEY'"))
                .isEqualTo(CIPHERTEXT + " " + NONCE + " " + SEALED);

        // an upsert replaces the entry in place
        assertThat(withoutReqId(ask(a.ws(), "{\"type\":\"vault_set\",\"key\":\"OPENAI_API_KEY\",\"ciphertext\":\"bmV3\","
                + "\"nonce\":\"bm9uY2U=\",\"sealed_key\":\"c2s=\"}"))).isEqualTo(ack("OPENAI_API_KEY", "stored"));
        assertThat(ask(a.ws(), "{\"type\":\"vault_get\",\"keys\":[\"OPENAI_API_KEY\"]}"))
                .contains("\"ciphertext\":\"bmV3\",\"nonce\":\"bm9uY2U=\",\"sealed_key\":\"c2s=\",\"entry_type\":\"env\"");
        assertThat(withoutReqId(ask(a.ws(), "{\"type\":\"vault_delete\",\"key\":\"tls.pem\"}")))
                .isEqualTo(ack("tls.pem", "deleted"));
        assertThat(withoutReqId(ask(a.ws(), "{\"type\":\"vault_delete\",\"key\":\"tls.pem\"}")))
                .isEqualTo(ack("tls.pem", "not_found"));
        assertThat(Sql.count(broker.databaseUrl(), "select count(*) from mesh.vault_entry where mesh_id = '" + mesh
                + "'")).isEqualTo(1);
        a.ws().close();
    }

    @Test
    void shouldScopeEntriesToTheirMemberAndMesh() throws Exception {
        String mesh = broker.createMesh("vault-scope");
        Identities.MemberKeys alice = broker.addMember(mesh, "alice");
        BrokerFixture.Peer a = broker.session(alice, "a");
        BrokerFixture.Peer b = broker.session(broker.addMember(mesh, "bob"), "b");
        BrokerFixture.Peer admin = broker.session(Requests.admin(broker, mesh, "root"), "r");
        ask(a.ws(), set("API", ",\"description\":\"alice's\""));

        for (BrokerFixture.Peer other : List.of(b, admin)) { // not even an admin reads another member's vault
            assertThat(withoutReqId(ask(other.ws(), "{\"type\":\"vault_list\"}")))
                    .isEqualTo("{\"type\":\"vault_list_result\",\"entries\":[]}");
            assertThat(withoutReqId(ask(other.ws(), "{\"type\":\"vault_get\",\"keys\":[\"API\"]}")))
                    .isEqualTo("{\"type\":\"vault_get_result\",\"entries\":[]}");
            assertThat(withoutReqId(ask(other.ws(), "{\"type\":\"vault_delete\",\"key\":\"API\"}")))
                    .isEqualTo(ack("API", "not_found"));
        }
        // bob's own API entry is a different one
        ask(b.ws(), "{\"type\":\"vault_set\",\"key\":\"API\",\"ciphertext\":\"Ym9i\",\"nonce\":\"bg==\","
                + "\"sealed_key\":\"cw==\"}");
        assertThat(ask(a.ws(), "{\"type\":\"vault_get\",\"keys\":[\"API\"]}")).contains("\"ciphertext\":\"" + CIPHERTEXT);
        assertThat(ask(b.ws(), "{\"type\":\"vault_get\",\"keys\":[\"API\"]}")).contains("\"ciphertext\":\"Ym9i\"");

        // the same key pair enrolled in another mesh is another member: it sees nothing of mesh one
        String other = broker.createMesh("vault-scope-2");
        broker.admin("POST", "/admin/meshes/" + other + "/members", "{\"pubkey\":\"" + alice.pubkey()
                + "\",\"displayName\":\"alice\"}");
        String otherId = Sql.string(broker.databaseUrl(), "select id from mesh.member where mesh_id = '" + other + "'");
        BrokerFixture.Peer elsewhere = broker.session(new Identities.MemberKeys(other, otherId, alice.keys()), "e");
        assertThat(withoutReqId(ask(elsewhere.ws(), "{\"type\":\"vault_list\"}")))
                .isEqualTo("{\"type\":\"vault_list_result\",\"entries\":[]}");
        assertThat(withoutReqId(ask(elsewhere.ws(), "{\"type\":\"vault_delete\",\"key\":\"API\"}")))
                .isEqualTo(ack("API", "not_found"));
        assertThat(Sql.count(broker.databaseUrl(), "select count(*) from mesh.vault_entry where mesh_id = '" + mesh
                + "'")).isEqualTo(2);
        for (BrokerFixture.Peer p : List.of(a, b, admin, elsewhere)) {
            p.ws().close();
        }
    }

    @Test
    void shouldAnswerBadInputTheQuotaAndTheEntrySize() throws Exception {
        String mesh = broker.createMesh("vault-limits");
        BrokerFixture.Peer a = broker.session(broker.addMember(mesh, "alice"), "a");
        String bad = "{\"type\":\"error\",\"code\":\"bad_request\",\"message\":\"";
        assertThat(withoutReqId(ask(a.ws(), "{\"type\":\"vault_set\",\"key\":\"K\",\"nonce\":\"n\",\"sealed_key\":\"s\"}")))
                .isEqualTo(bad + "ciphertext must be a string\"}");
        assertThat(withoutReqId(ask(a.ws(), set("K", ",\"entry_type\":\"secret\""))))
                .isEqualTo(bad + "entry_type must be \\\"env\\\" or \\\"file\\\"\"}");
        assertThat(withoutReqId(ask(a.ws(), set("K", ",\"mount_path\":5")))).isEqualTo(bad + "mount_path must be a string\"}");
        assertThat(withoutReqId(ask(a.ws(), "{\"type\":\"vault_get\",\"keys\":\"K\"}")))
                .isEqualTo(bad + "keys must be an array of strings\"}");
        assertThat(withoutReqId(ask(a.ws(), "{\"type\":\"vault_delete\"}"))).isEqualTo(bad + "key must be a non-empty "
                + "string\"}");
        assertThat(withoutReqId(ask(a.ws(), set("K", ",\"description\":\"" + "d".repeat(1024) + "\""))))
                .isEqualTo("{\"type\":\"error\",\"code\":\"payload_too_large\",\"message\":\"a vault entry must be at "
                        + "most 1024 bytes\"}");
        for (String key : List.of("one", "two", "three")) {
            assertThat(withoutReqId(ask(a.ws(), set(key, "")))).isEqualTo(ack(key, "stored"));
        }
        assertThat(withoutReqId(ask(a.ws(), set("four", "")))).isEqualTo("{\"type\":\"error\",\"code\":"
                + "\"limit_exceeded\",\"message\":\"you have 3 vault entries in this mesh (the limit)\"}");
        assertThat(withoutReqId(ask(a.ws(), set("two", ",\"description\":\"s3cr3t\"")))).isEqualTo(ack("two", "stored"));
        assertThat(Sql.count(broker.databaseUrl(), "select count(*) from mesh.vault_entry where mesh_id = '" + mesh
                + "'")).isEqualTo(3);
        a.ws().close();
    }
}
