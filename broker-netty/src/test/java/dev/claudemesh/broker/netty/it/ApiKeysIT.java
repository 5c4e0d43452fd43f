package dev.claudemesh.broker.netty.it;

import dev.claudemesh.broker.core.apikey.ApiKeySecrets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Map;

import static dev.claudemesh.broker.netty.it.TopicSupport.mintKey;
import static dev.claudemesh.broker.netty.it.TopicSupport.request;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * API keys over the WebSocket (PROTOCOL-MESH §8.9) with the capability rules of its [fix] (§16 defect 1): reply
 * shapes, the secret shown once and stored as a SHA-256 hash only, expiry, the per-member quota.
 */
class ApiKeysIT {

    private static BrokerFixture broker;

    @BeforeAll
    static void start() throws Exception {
        broker = new BrokerFixture(Map.of("API_KEYS_MAX_PER_MEMBER", "3", "API_KEY_MAX_TTL_HOURS", "2"));
    }

    @AfterAll
    static void stop() {
        broker.close();
    }

    @Test
    void shouldMintAReadKeyShowItsSecretOnceAndStoreOnlyItsHash() throws Exception {
        String mesh = broker.createMesh("keys-mint");
        BrokerFixture.Peer bob = broker.session(broker.addMember(mesh, "bob"), "s-b");
        String expires = Instant.now().plusSeconds(300).toString();

        String created = request(bob.ws(), "{\"type\":\"apikey_create\",\"label\":\"cli-tail-1\",\"capabilities\":"
                + "[\"read\"],\"topicScopes\":[\"ops\"],\"expiresAt\":\"" + expires + "\"");

        assertThat(created).matches("\\{\"type\":\"apikey_created\",\"id\":\"[0-9A-Za-z]{32}\",\"secret\":"
                + "\"cm_[A-Za-z0-9_-]{43}\",\"label\":\"cli-tail-1\",\"prefix\":\"cm_[A-Za-z0-9_-]{8}\","
                + "\"capabilities\":\\[\"read\"],\"topicScopes\":\\[\"ops\"],\"createdAt\":\"[0-9T:.Z-]{24}\","
                + "\"_reqId\":\"q\\d+\"}");
        String secret = TopicSupport.secret(created);
        String id = BrokerFixture.jsonField(created, "id");
        assertThat(secret).startsWith(BrokerFixture.jsonField(created, "prefix"));
        assertThat(Sql.string(broker.databaseUrl(), "select secret_hash from mesh.api_key where id = '" + id + "'"))
                .isEqualTo(ApiKeySecrets.hash(secret));
        assertThat(Sql.count(broker.databaseUrl(), "select count(*) from mesh.api_key where secret_hash = '"
                + secret + "' or label = '" + secret + "'")).isZero();

        String list = request(bob.ws(), "{\"type\":\"apikey_list\"");
        assertThat(list).matches("\\{\"type\":\"apikey_list_response\",\"keys\":\\[\\{\"id\":\"" + id + "\","
                + "\"label\":\"cli-tail-1\",\"prefix\":\"cm_[A-Za-z0-9_-]{8}\",\"capabilities\":\\[\"read\"],"
                + "\"topicScopes\":\\[\"ops\"],\"createdAt\":\"[^\"]+\",\"lastUsedAt\":null,\"revokedAt\":null,"
                + "\"expiresAt\":\"[^\"]+\"}],\"_reqId\":\"q\\d+\"}");
        assertThat(list).doesNotContain(secret).contains("\"expiresAt\":\"" + expires.substring(0, 19));
    }

    @Test
    void shouldKeepAdminAndStateWriteKeysAndOthersKeysForMeshAdmins() throws Exception {
        String mesh = broker.createMesh("keys-rules");
        BrokerFixture.Peer bob = broker.session(broker.addMember(mesh, "bob"), "s-b");
        BrokerFixture.Peer carol = broker.session(broker.addMember(mesh, "carol"), "s-c");
        BrokerFixture.Peer root = broker.session(TopicSupport.adminMember(broker, mesh, "root"), "s-r");

        for (String caps : new String[] {"[\"admin\"]", "[\"read\",\"state_write\"]"}) {
            assertThat(request(bob.ws(), "{\"type\":\"apikey_create\",\"label\":\"x\",\"capabilities\":" + caps))
                    .startsWith("{\"type\":\"error\",\"code\":\"forbidden\",\"message\":\"only owner or admin can "
                            + "mint admin or state_write keys\",\"_reqId\":\"q");
        }
        String bobs = BrokerFixture.jsonField(mintKey(bob.ws(), "[\"read\",\"send\"]", null), "id");
        String carols = BrokerFixture.jsonField(mintKey(carol.ws(), "[\"read\"]", null), "id");
        String roots = BrokerFixture.jsonField(mintKey(root.ws(), "[\"admin\",\"state_write\"]", null), "id");

        assertThat(request(bob.ws(), "{\"type\":\"apikey_list\"")).contains(bobs).doesNotContain(carols)
                .doesNotContain(roots);
        assertThat(request(root.ws(), "{\"type\":\"apikey_list\"")).contains(bobs).contains(carols).contains(roots);
        // a member cannot revoke another member's key (it is not even found); an admin can, by prefix
        assertThat(request(bob.ws(), "{\"type\":\"apikey_revoke\",\"id\":\"" + carols + "\""))
                .startsWith("{\"type\":\"apikey_revoke_response\",\"status\":\"not_found\",\"_reqId\":");
        assertThat(request(root.ws(), "{\"type\":\"apikey_revoke\",\"id\":\"" + carols.substring(0, 12) + "\""))
                .startsWith("{\"type\":\"apikey_revoke_response\",\"status\":\"revoked\",\"id\":\"" + carols + "\",");
        assertThat(request(carol.ws(), "{\"type\":\"apikey_revoke\",\"id\":\"" + carols + "\"")).contains("revoked");
        assertThat(request(bob.ws(), "{\"type\":\"apikey_revoke\"")).startsWith("{\"type\":\"error\",\"code\":"
                + "\"invalid_args\",\"message\":\"id required\",\"_reqId\":\"q");
        String twoOfRoots = BrokerFixture.jsonField(mintKey(root.ws(), "[\"read\"]", null), "id");
        String common = commonPrefix(roots, twoOfRoots);
        if (!common.isEmpty()) {
            assertThat(request(root.ws(), "{\"type\":\"apikey_revoke\",\"id\":\"" + common + "\""))
                    .contains("\"status\":\"not_unique\",\"matches\":2");
        }
        // audited by the durable writer: three keys and one more created, one revoked (a repeat changes nothing)
        Sql.await(broker.databaseUrl(), "select count(*) from mesh.audit_log where mesh_id = '" + mesh
                + "' and event_type in ('apikey_created', 'apikey_revoked')", 5);
    }

    @Test
    void shouldClampExpiryToTheMaximumAndRefuseBadInputAndKeysOverTheQuota() throws Exception {
        String mesh = broker.createMesh("keys-limits");
        BrokerFixture.Peer bob = broker.session(broker.addMember(mesh, "bob"), "s-b");

        String created = request(bob.ws(), "{\"type\":\"apikey_create\",\"label\":\"long\",\"capabilities\":"
                + "[\"read\"],\"expiresAt\":\"2099-01-01T00:00:00Z\"");
        String id = BrokerFixture.jsonField(created, "id");
        long lifetimeS = Sql.count(broker.databaseUrl(), "select extract(epoch from expires_at - created_at)::bigint "
                + "from mesh.api_key where id = '" + id + "'");
        assertThat(lifetimeS).isEqualTo(2 * 3600); // API_KEY_MAX_TTL_HOURS
        assertThat(request(bob.ws(), "{\"type\":\"apikey_create\",\"label\":\"x\",\"capabilities\":[\"read\"],"
                + "\"expiresAt\":\"tomorrow\"")).contains("\"code\":\"bad_request\"")
                .contains("expiresAt must be an ISO-8601 time");
        assertThat(request(bob.ws(), "{\"type\":\"apikey_create\",\"label\":\"x\",\"capabilities\":[]"))
                .contains("\"code\":\"invalid_args\"");
        assertThat(request(bob.ws(), "{\"type\":\"apikey_create\",\"label\":\"x\",\"capabilities\":[\"read\"],"
                + "\"topicScopes\":\"ops\"")).contains("\"code\":\"bad_request\"");
        mintKey(bob.ws(), "[\"read\"]", null);
        mintKey(bob.ws(), "[\"read\"]", null);
        assertThat(request(bob.ws(), "{\"type\":\"apikey_create\",\"label\":\"x\",\"capabilities\":[\"read\"]"))
                .contains("\"code\":\"limit_exceeded\"").contains("API_KEYS_MAX_PER_MEMBER");
        // a key created without expiresAt expires too
        assertThat(Sql.count(broker.databaseUrl(), "select count(*) from mesh.api_key where mesh_id = '" + mesh
                + "' and expires_at is null")).isZero();
    }

    private static String commonPrefix(String a, String b) {
        int i = 0;
        while (i < a.length() && i < b.length() && a.charAt(i) == b.charAt(i)) {
            i++;
        }
        return a.substring(0, i);
    }
}
