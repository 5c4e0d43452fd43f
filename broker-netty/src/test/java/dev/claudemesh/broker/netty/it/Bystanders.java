package dev.claudemesh.broker.netty.it;

import dev.claudemesh.broker.core.testing.Identities;

import java.util.concurrent.atomic.AtomicInteger;

import static dev.claudemesh.broker.netty.it.BrokerFixture.jsonField;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two peers in a mesh of their own that keep talking while attacks run elsewhere on the same broker: after each
 * attack, {@link #assertUnaffected} sends a DM one way, checks the durable ack, the push with the exact bytes and the
 * client_ack landing in the database. An attack that crashed a loop, stalled the writer or closed other sockets fails
 * it.
 */
final class Bystanders implements AutoCloseable {

    private static final String NONCE = "YnlzdGFuZGVybm9uY2U=";
    private static final String CT = "YnlzdGFuZGVyIGNpcGhlcnRleHQ=";

    private final BrokerFixture broker;
    private final BrokerFixture.Peer a;
    private final BrokerFixture.Peer b;
    private final AtomicInteger seq = new AtomicInteger();

    Bystanders(BrokerFixture broker) throws Exception {
        this.broker = broker;
        String mesh = broker.createMesh("bystanders");
        Identities.MemberKeys ma = broker.addMember(mesh, "bystander-a");
        Identities.MemberKeys mb = broker.addMember(mesh, "bystander-b");
        this.a = broker.session(ma, "by-a");
        this.b = broker.session(mb, "by-b");
    }

    /** A DM from a to b: acked durably, pushed with the exact bytes, client-acked into the database. */
    void assertUnaffected() throws Exception {
        assertThat(a.ws().closed()).as("bystander a still connected").isFalse();
        assertThat(b.ws().closed()).as("bystander b still connected").isFalse();
        String id = "by-" + seq.incrementAndGet();
        a.ws().send(Identities.send(id, b.key(), "now", NONCE, CT));
        String ack = a.ws().await(s -> s.contains("\"type\":\"ack\"") && s.contains("\"id\":\"" + id + "\""), 10_000);
        assertThat(ack).contains("\"queued\":true");
        String messageId = jsonField(ack, "messageId");
        String push = b.ws().await(s -> s.contains("\"messageId\":\"" + messageId + "\""), 10_000);
        assertThat(push).contains("\"nonce\":\"" + NONCE + "\"").contains("\"ciphertext\":\"" + CT + "\"")
                .contains("\"senderPubkey\":\"" + a.key() + "\"");
        b.ws().send("{\"type\":\"client_ack\",\"clientMessageId\":\"" + id + "\",\"brokerMessageId\":\"" + messageId
                + "\"}");
        Sql.await(broker.databaseUrl(), "select count(*) from mesh.message_queue_status where id = '" + messageId
                + "' and delivered_at is not null", 1);
    }

    @Override
    public void close() {
        a.ws().close();
        b.ws().close();
    }
}
