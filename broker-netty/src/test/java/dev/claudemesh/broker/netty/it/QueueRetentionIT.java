package dev.claudemesh.broker.netty.it;

import dev.claudemesh.broker.core.testing.Identities;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.util.Map;

import static dev.claudemesh.broker.netty.it.BrokerFixture.jsonField;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The broker runs the queue retention sweep: with {@code QUEUE_RETENTION_HOURS=0} a delivered DM's row goes at the next
 * sweep, while a DM still waiting for its {@code client_ack} stays.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class QueueRetentionIT {

    private static final String NONCE = "bm9uY2Vub25jZW5vbmNlbm9uY2U=";
    private static final String CT = "Y2lwaGVydGV4dA==";

    private BrokerFixture broker;

    @BeforeAll
    void start() throws Exception {
        broker = new BrokerFixture(Map.of("QUEUE_RETENTION_HOURS", "0", "BROKER_RETENTION_SWEEP_MS", "200"));
    }

    @AfterAll
    void stop() {
        broker.close();
    }

    @Test
    void shouldDeleteDeliveredRowsAndKeepUndeliveredOnes() throws Exception {
        String mesh = broker.createMesh("retention");
        BrokerFixture.Peer a = broker.session(broker.addMember(mesh, "alice"), "a");
        BrokerFixture.Peer b = broker.session(broker.addMember(mesh, "bob"), "b");
        a.ws().send(Identities.send("c1", b.key(), "now", NONCE, CT));
        String delivered = jsonField(a.ws().awaitType("ack"), "messageId");
        b.ws().await("\"messageId\":\"" + delivered + "\"");
        a.ws().send(Identities.send("c2", b.key(), "now", NONCE, CT));
        String waiting = jsonField(a.ws().await("\"id\":\"c2\""), "messageId");
        b.ws().await("\"messageId\":\"" + waiting + "\"");
        assertThat(Sql.count(broker.databaseUrl(), "select count(*) from mesh.message_queue where mesh_id = '" + mesh
                + "'")).isEqualTo(2);

        b.ws().send("{\"type\":\"client_ack\",\"clientMessageId\":\"c1\",\"brokerMessageId\":\"" + delivered + "\"}");

        Sql.await(broker.databaseUrl(), "select count(*) from mesh.message_queue where id = '" + delivered + "'", 0);
        // Several sweeps later the DM without a client_ack is still there, undelivered.
        long sweeps = broker.server().retention().sweeps();
        assertThat(DeliveryLedger.await(10_000, () -> broker.server().retention().sweeps() >= sweeps + 3))
                .as("three more sweeps").isTrue();
        assertThat(Sql.count(broker.databaseUrl(), "select count(*) from mesh.message_queue_status where id = '" + waiting
                + "' and delivered_at is null")).isEqualTo(1);
        a.ws().close();
        b.ws().close();
    }
}
