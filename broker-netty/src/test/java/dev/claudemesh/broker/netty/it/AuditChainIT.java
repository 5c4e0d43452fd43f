package dev.claudemesh.broker.netty.it;

import dev.claudemesh.broker.core.testing.Identities;
import dev.claudemesh.broker.db.store.AdminRepository;
import dev.claudemesh.broker.db.store.AuditVerification;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static dev.claudemesh.broker.netty.it.BrokerFixture.jsonField;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * After real traffic (joins, DMs, multicasts, rejections, evictions, revocations) every mesh's audit chain re-hashes
 * from {@code genesis}, and no audit row contains a nonce or a ciphertext.
 */
class AuditChainIT {

    private static final String NONCE = "dW5pcXVlTm9uY2VWYWx1ZTEyMzQ=";
    private static final String CT = "dW5pcXVlQ2lwaGVydGV4dFZhbHVlNTY3OA==";

    @Test
    void shouldRehashEveryMeshChainAndNeverStorePayloads() throws Exception {
        try (BrokerFixture broker = new BrokerFixture(Map.of("BROKER_GRACE_MS", "300", "BROKER_WRITER_THREADS", "3"))) {
            for (int m = 0; m < 3; m++) {
                String mesh = broker.createMesh("audit" + m);
                Identities.MemberKeys alice = broker.addMember(mesh, "alice");
                Identities.MemberKeys bob = broker.addMember(mesh, "bob");
                BrokerFixture.Peer a = broker.session(alice, "a");
                BrokerFixture.Peer b = broker.session(bob, "b");
                a.ws().send(Identities.send("d" + m, b.key(), "now", NONCE, CT));
                String id = jsonField(a.ws().awaitType("ack"), "messageId");
                b.ws().await(id);
                a.ws().send(Identities.send("x" + m, "*", "low", NONCE, CT));
                a.ws().awaitType("ack");
                try (WsClient bad = broker.ws()) {
                    bad.send(Identities.hello(alice, null, "d", System.currentTimeMillis() - 100_000, "alice"));
                    bad.awaitClose(5_000);
                }
                b.ws().abort();
                a.ws().await(s -> s.contains("peer_left"), 5_000);
                broker.admin("POST", "/admin/meshes/" + mesh + "/members/" + alice.memberId() + "/revoke", "");
                a.ws().awaitClose(5_000);
                assertThat(broker.server().durable().flush(5_000)).as("audit events committed").isTrue();
                String verify = broker.admin("GET", "/admin/meshes/" + mesh + "/audit/verify", null).body();
                assertThat(verify).startsWith("{\"ok\":true,\"events\":");
            }
            broker.server().durable().flush(5_000);
            AdminRepository repo = new AdminRepository(broker.server().database().dataSource());
            List<String> meshes = repo.listMeshIds();
            assertThat(meshes).hasSize(3);
            for (String mesh : meshes) {
                AuditVerification v = repo.verifyAudit(mesh);
                assertThat(v.ok()).as("chain of " + mesh).isTrue();
                // peer_joined x2, message_sent x2, peer_left (eviction), peer_left (revoke); hello_rejected needs
                // the mesh state, which exists by then
                assertThat(v.events()).isGreaterThanOrEqualTo(6);
                List<String> types = repo.auditRows(mesh).stream().map(r -> r.eventType()).toList();
                assertThat(types).contains("peer_joined", "message_sent", "peer_left", "hello_rejected");
            }
            assertThat(repo.auditRowsContaining(NONCE)).isEmpty();
            assertThat(repo.auditRowsContaining(CT)).isEmpty();
            assertThat(repo.auditRowsContaining("dW5pcXVl")).isEmpty();
        }
    }
}
