package dev.claudemesh.broker.netty.it;

import dev.claudemesh.broker.core.crypto.Ed25519;
import dev.claudemesh.broker.core.testing.Identities;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static dev.claudemesh.broker.netty.it.BrokerFixture.jsonField;
import static org.assertj.core.api.Assertions.assertThat;

/** A DM acked {@code queued:true} survives a broker restart and reaches the recipient when it reconnects. */
class RestartIT {

    @Test
    void shouldDeliverDmAfterRestartAndCloseSocketsWith1001OnShutdown() throws Exception {
        try (BrokerFixture broker = new BrokerFixture(Map.of())) {
            String mesh = broker.createMesh("restart");
            Identities.MemberKeys alice = broker.addMember(mesh, "alice");
            Identities.MemberKeys bob = broker.addMember(mesh, "bob");
            BrokerFixture.Peer a = broker.session(alice, "a");
            Ed25519.KeyPair bobKey = Ed25519.generate();
            BrokerFixture.Peer b = broker.session(bob, bobKey, "b", null);
            b.ws().send("{\"type\":\"set_status\",\"status\":\"dnd\"}");
            Thread.sleep(200);
            a.ws().send(Identities.send("before-restart", bobKey.publicKeyHex(), "next", "bm9uY2U=", "c3Vydml2ZXM="));
            String id = jsonField(a.ws().awaitType("ack"), "messageId");

            broker.stop();
            assertThat(a.ws().awaitClose(5_000)).isEqualTo(1001);
            assertThat(a.ws().closeReason()).isEqualTo("shutting down");
            assertThat(b.ws().awaitClose(5_000)).isEqualTo(1001);
            assertThat(Sql.count(broker.databaseUrl(), "select count(*) from mesh.presence where disconnected_at is null"))
                    .isZero();

            broker.start();
            BrokerFixture.Peer b2 = broker.session(bob, bobKey, "b", null);
            String push = b2.ws().await("\"messageId\":\"" + id + "\"");
            assertThat(push).contains("\"ciphertext\":\"c3Vydml2ZXM=\"").contains("\"client_message_id\":\"before-restart\"")
                    .contains("\"senderPubkey\":\"" + a.key() + "\"");
            b2.ws().close();
        }
    }

    @Test
    void shouldAnswerASendRepeatedAfterARestartWithItsFirstAck() throws Exception {
        try (BrokerFixture broker = new BrokerFixture(Map.of())) {
            String mesh = broker.createMesh("idem-restart");
            Identities.MemberKeys alice = broker.addMember(mesh, "alice");
            Identities.MemberKeys bob = broker.addMember(mesh, "bob");
            Ed25519.KeyPair aliceKey = Ed25519.generate();
            Ed25519.KeyPair bobKey = Ed25519.generate();
            BrokerFixture.Peer a = broker.session(alice, aliceKey, "a", null);
            BrokerFixture.Peer b = broker.session(bob, bobKey, "b", null);
            String send = Identities.send("once", bobKey.publicKeyHex(), "now", "bm9uY2U=", "b25jZQ==");
            a.ws().send(send);
            String id = jsonField(a.ws().awaitType("ack"), "messageId");
            b.ws().await("\"messageId\":\"" + id + "\"");
            b.ws().send("{\"type\":\"client_ack\",\"clientMessageId\":\"once\",\"brokerMessageId\":\"" + id + "\"}");
            Sql.await(broker.databaseUrl(), "select count(*) from mesh.message_queue_status where id = '" + id
                    + "' and delivered_at is not null", 1);

            broker.stop();
            broker.start();
            // The client never saw its ack (say) and repeats the send from the same session after the restart.
            BrokerFixture.Peer a2 = broker.session(alice, aliceKey, "a", null);
            BrokerFixture.Peer b2 = broker.session(bob, bobKey, "b", null);
            a2.ws().send(send);
            String ack = a2.ws().awaitType("ack");

            assertThat(ack).contains("\"queued\":true");
            assertThat(jsonField(ack, "messageId")).isEqualTo(id);
            assertThat(Sql.count(broker.databaseUrl(), "select count(*) from mesh.message_queue where mesh_id = '"
                    + mesh + "'")).isEqualTo(1);
            // A later send from the same socket is pushed; the repeat was not.
            a2.ws().send(Identities.send("after", bobKey.publicKeyHex(), "now", "bm9uY2U=", "YWZ0ZXI="));
            String after = jsonField(a2.ws().await("\"id\":\"after\""), "messageId");
            String push = b2.ws().awaitType("push");
            assertThat(jsonField(push, "messageId")).isEqualTo(after);
            a2.ws().close();
            b2.ws().close();
        }
    }
}
