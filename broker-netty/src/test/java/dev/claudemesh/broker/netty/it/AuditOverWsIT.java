package dev.claudemesh.broker.netty.it;

import dev.claudemesh.broker.core.testing.Identities;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code audit_query} / {@code audit_verify} over the WebSocket (PROTOCOL-MESH §14 with the [fix]; defect 4): a member
 * gets {@code forbidden}, an admin reads its own mesh's chain newest first, {@code limit} is capped by
 * {@code AUDIT_QUERY_MAX_ROWS}, payloads are metadata (no DM ciphertext), and verification re-walks the chain.
 */
class AuditOverWsIT {

    private static BrokerFixture broker;

    @BeforeAll
    static void start() throws Exception {
        broker = new BrokerFixture(Map.of("AUDIT_QUERY_MAX_ROWS", "3"));
    }

    @AfterAll
    static void stop() {
        broker.stop();
    }

    private static String ask(WsClient ws, String json, String reqId) {
        ws.send(json);
        return ws.await(s -> s.contains("\"_reqId\":\"" + reqId + "\""), 10_000);
    }

    @Test
    @SuppressWarnings("unchecked")
    void onlyAnAdminShouldReadItsMeshsAuditLog() throws Exception {
        String meshId = broker.createMesh("audit-ws");
        String otherMesh = broker.createMesh("audit-other");
        Identities.MemberKeys owner = broker.addMember(meshId, "olga", "\"role\":\"admin\"");
        BrokerFixture.Peer admin = broker.session(owner, "o");
        BrokerFixture.Peer bob = broker.session(broker.addMember(meshId, "bob"), "b");
        broker.session(broker.addMember(otherMesh, "stranger", "\"role\":\"admin\""), "s");
        String ciphertext = "c2VjcmV0IHRoYXQgbXVzdCBub3QgbGVhaw==";
        bob.ws().send("{\"type\":\"send\",\"id\":\"m1\",\"targetSpec\":\"" + admin.key() + "\",\"nonce\":"
                + "\"bm9uY2Vub25jZW5vbmNlbm9uY2Vub25jZQ==\",\"ciphertext\":\"" + ciphertext + "\"}");
        bob.ws().await("\"type\":\"ack\"");
        String url = broker.databaseUrl();
        Sql.await(url, "select count(*) from mesh.audit_log where mesh_id = '" + meshId + "'", 3);

        assertThat(ask(bob.ws(), "{\"type\":\"audit_query\",\"_reqId\":\"q\"}", "q")).isEqualTo("{\"type\":\"error\","
                + "\"code\":\"forbidden\",\"message\":\"only owner or admin can query the audit log\",\"_reqId\":\"q\"}");
        assertThat(ask(bob.ws(), "{\"type\":\"audit_verify\",\"_reqId\":\"v\"}", "v")).contains("\"forbidden\"");

        String result = ask(admin.ws(), "{\"type\":\"audit_query\",\"limit\":100,\"_reqId\":\"a\"}", "a");
        assertThat(result).doesNotContain(ciphertext);
        Map<String, Object> page = Json.object(result);
        assertThat(page.keySet()).containsExactly("type", "entries", "total", "_reqId");
        assertThat(page).containsEntry("type", "audit_result").containsEntry("total", 3L);
        List<Map<String, Object>> entries = (List<Map<String, Object>>) page.get("entries");
        assertThat(entries).extracting(e -> e.get("eventType"))
                .containsExactly("message_sent", "peer_joined", "peer_joined");
        assertThat(entries.get(0).keySet()).containsExactly("id", "eventType", "actor", "payload", "hash",
                "createdAt");
        assertThat(entries.get(0)).containsEntry("actor", "bob");
        assertThat((Map<String, Object>) entries.get(0).get("payload")).containsOnlyKeys("priority", "targetSpec");
        assertThat((Long) entries.get(0).get("id")).isGreaterThan((Long) entries.get(1).get("id"));

        // the cap: 3 rows at most, whatever the limit; the total still counts them all
        broker.session(broker.addMember(meshId, "carol"), "c");
        Sql.await(url, "select count(*) from mesh.audit_log where mesh_id = '" + meshId + "'", 4);
        Map<String, Object> capped = Json.object(ask(admin.ws(), "{\"type\":\"audit_query\",\"limit\":1000,"
                + "\"_reqId\":\"c\"}", "c"));
        assertThat((List<?>) capped.get("entries")).hasSize(3);
        assertThat(capped).containsEntry("total", 4L);
        Map<String, Object> filtered = Json.object(ask(admin.ws(), "{\"type\":\"audit_query\",\"eventType\":"
                + "\"peer_joined\",\"offset\":1,\"limit\":1,\"_reqId\":\"f\"}", "f"));
        assertThat(filtered).containsEntry("total", 3L);
        assertThat((List<?>) filtered.get("entries")).hasSize(1);
        assertThat(ask(admin.ws(), "{\"type\":\"audit_query\",\"limit\":-1,\"_reqId\":\"x\"}", "x"))
                .contains("\"code\":\"bad_request\"");

        assertThat(ask(admin.ws(), "{\"type\":\"audit_verify\",\"_reqId\":\"v\"}", "v"))
                .isEqualTo("{\"type\":\"audit_verify_result\",\"valid\":true,\"entries\":4,\"_reqId\":\"v\"}");
    }
}
