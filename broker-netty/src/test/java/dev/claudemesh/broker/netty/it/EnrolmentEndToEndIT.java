package dev.claudemesh.broker.netty.it;

import dev.claudemesh.broker.core.crypto.Ed25519;
import dev.claudemesh.broker.core.testing.Identities;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

import static dev.claudemesh.broker.netty.it.BrokerFixture.jsonField;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The whole enrolment path with the broker's default settings (join rate limit included): an operator creates a
 * mesh and an invite; two clients each generate a key, decode the {@code ic://join/<token>} link, {@code /join},
 * connect with a {@code session_hello} attested by the new member key, and exchange a DM through the broker.
 */
class EnrolmentEndToEndIT {

    private static final String NONCE = "bm9uY2Vub25jZW5vbmNlbm9uY2U=";
    private static final String CT = "c2VhbGVkIGJ5IHRoZSBjbGllbnQ=";

    /** What {@code claudemesh join <link>} does up to the enrolment: decode the link, make a key, POST /join. */
    private static Identities.MemberKeys enrol(BrokerFixture broker, String link, String name) throws Exception {
        assertThat(link).startsWith("ic://join/");
        String token = link.substring("ic://join/".length());
        String payload = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
        String meshId = jsonField(payload, "mesh_id");
        Ed25519.KeyPair keys = Ed25519.generate();
        HttpResponse<String> r = EnrolmentSupport.join(broker, token, payload, keys.publicKeyHex(), name);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return new Identities.MemberKeys(meshId, jsonField(r.body(), "memberId"), keys);
    }

    @Test
    void shouldEnrolTwoPeersWithAnInviteLinkAndRouteADmBetweenThem() throws Exception {
        try (BrokerFixture broker = new BrokerFixture()) {
            String meshId = broker.createMesh("e2e-enrol");
            String link = EnrolmentSupport.createInvite(broker, meshId,
                    "{\"maxUses\":2,\"expiresInS\":600,\"role\":\"member\",\"preset\":{\"roleTag\":\"dev\"}}").link();

            Identities.MemberKeys alice = enrol(broker, link, "alice");
            Identities.MemberKeys bob = enrol(broker, link, "bob");
            assertThat(alice.meshId()).isEqualTo(meshId);
            assertThat(alice.memberId()).isNotEqualTo(bob.memberId());

            BrokerFixture.Peer a = broker.session(alice, "s-alice");
            BrokerFixture.Peer b = broker.session(bob, "s-bob");
            assertThat(a.helloAck()).contains("\"memberProfile\":{\"roleTag\":\"dev\"");

            a.ws().send(Identities.send("dm1", b.key(), "now", NONCE, CT));
            String ack = a.ws().awaitType("ack");
            assertThat(ack).contains("\"queued\":true");
            String messageId = jsonField(ack, "messageId");
            String push = b.ws().await("\"messageId\":\"" + messageId + "\"");
            assertThat(push).contains("\"senderPubkey\":\"" + a.key() + "\"").contains("\"ciphertext\":\"" + CT + "\"");
            b.ws().send("{\"type\":\"client_ack\",\"clientMessageId\":\"dm1\",\"brokerMessageId\":\"" + messageId + "\"}");
            Sql.await(broker.databaseUrl(), "select count(*) from mesh.message_queue_status where id = '" + messageId
                    + "' and delivered_at is not null", 1);

            // and back
            b.ws().send(Identities.send("dm2", a.key(), "now", NONCE, CT));
            String back = jsonField(b.ws().awaitType("ack"), "messageId");
            assertThat(a.ws().await("\"messageId\":\"" + back + "\"")).contains("\"senderPubkey\":\"" + b.key() + "\"");

            // the invite is used up; the audit chain holds both enrolments and still verifies
            Ed25519.KeyPair carol = Ed25519.generate();
            String token = link.substring("ic://join/".length());
            HttpResponse<String> third = EnrolmentSupport.join(broker, token,
                    new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8), carol.publicKeyHex(), "c");
            assertThat(third.body()).isEqualTo("{\"ok\":false,\"error\":\"invite_exhausted\"}");
            Sql.await(broker.databaseUrl(), "select count(*) from mesh.audit_log where mesh_id = '" + meshId
                    + "' and event_type = 'member_joined'", 2);
            assertThat(broker.admin("GET", "/admin/meshes/" + meshId + "/audit/verify", null).body())
                    .startsWith("{\"ok\":true,");
            a.ws().close();
            b.ws().close();
        }
    }
}
