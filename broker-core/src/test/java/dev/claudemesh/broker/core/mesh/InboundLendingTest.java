package dev.claudemesh.broker.core.mesh;

import dev.claudemesh.broker.core.envelope.Inbound;
import dev.claudemesh.broker.core.envelope.WireFormat;
import dev.claudemesh.broker.core.model.StoredMessage;
import dev.claudemesh.broker.core.port.DurableOp;
import dev.claudemesh.broker.core.testing.Identities;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A socket lends its reused {@link Inbound} ({@link dev.claudemesh.broker.core.envelope.EnvelopeReader}) only to
 * handlers that keep nothing of it ({@link MessageHandler#keepsRequest()} false), and only for the call; every other
 * handler gets an Inbound of its own that later frames leave alone. A DM's stored values survive the sender's next
 * frames.
 */
class InboundLendingTest {

    /** What a handler saw: the Inbound itself and its {@code _reqId} at the time of the call. */
    record Seen(Inbound in, String reqIdThen) {
    }

    private final List<Seen> lent = new ArrayList<>();
    private final List<Seen> kept = new ArrayList<>();

    private final MeshService<Object> probe = new MeshService<>() {
        @Override
        public String name() {
            return "probe";
        }

        @Override
        public void registerHandlers(Registrar<Object> r) {
            r.handle("lent_probe", new MessageHandler<>() {
                @Override
                public void handle(Object state, PeerSession from, Inbound in) {
                    lent.add(new Seen(in, in.reqId));
                }

                @Override
                public boolean keepsRequest() {
                    return false;
                }
            });
            r.handle("kept_probe", (state, from, in) -> kept.add(new Seen(in, in.reqId)));
        }

        @Override
        public Object createMeshState(MeshContext mesh) {
            return new Object();
        }
    };

    private final MeshHarness h = new MeshHarness(Runnable::run, List.of(probe));

    @Test
    void shouldLendTheReusedInboundOnlyForTheCallOfAHandlerThatKeepsNothing() {
        MeshHarness.Peer a = h.session(h.member("alice"), "s-a");
        a.send("{\"type\":\"lent_probe\",\"_reqId\":\"r1\"}");
        a.send("{\"type\":\"lent_probe\",\"_reqId\":\"r2\"}");
        h.loop.runAll();

        assertThat(lent).extracting(Seen::reqIdThen).containsExactly("r1", "r2");
        assertThat(lent.get(0).in()).isSameAs(lent.get(1).in()); // one Inbound for both frames
        assertThat(lent.get(1).in().reqId).isNull(); // cleared once the call returned
        assertThat(lent.get(1).in().type).isNull();
    }

    @Test
    void shouldGiveAHandlerThatMayKeepTheRequestAnInboundOfItsOwn() {
        MeshHarness.Peer a = h.session(h.member("alice"), "s-a");
        a.send("{\"type\":\"kept_probe\",\"_reqId\":\"k1\"}");
        a.send("{\"type\":\"lent_probe\",\"_reqId\":\"r1\"}");
        a.send("{\"type\":\"kept_probe\",\"_reqId\":\"k2\"}");
        h.loop.runAll();

        assertThat(kept).hasSize(2);
        assertThat(kept.get(0).in()).isNotSameAs(kept.get(1).in()).isNotSameAs(lent.get(0).in());
        assertThat(kept.get(0).in().reqId).isEqualTo("k1"); // untouched by the frames that followed
        assertThat(kept.get(1).in().reqId).isEqualTo("k2");
        assertThat(kept.get(0).in().type).isEqualTo(Inbound.Type.UNKNOWN);
    }

    @Test
    void shouldKeepEveryValueOfADmAfterTheSenderReadsItsNextFrames() {
        Identities.MemberKeys alice = h.member("alice");
        Identities.MemberKeys bob = h.member("bob");
        MeshHarness.Peer a = h.session(alice, "s-a");
        MeshHarness.Peer b = h.session(bob, "s-b");
        a.send("{\"type\":\"send\",\"id\":\"c1\",\"client_message_id\":\"c1\",\"request_fingerprint\":\"fp1\","
                + "\"targetSpec\":\"" + b.key() + "\",\"priority\":\"now\",\"nonce\":\"bm9uY2U=\","
                + "\"ciphertext\":\"Zmlyc3Q=\"}");
        // the next frames of the same socket reuse the Inbound the first send was read into
        a.send("{\"type\":\"send\",\"id\":\"c2\",\"client_message_id\":\"c2\",\"targetSpec\":\"" + b.key()
                + "\",\"priority\":\"next\",\"nonce\":\"QUFBQQ==\",\"ciphertext\":\"c2Vjb25k\"}");
        a.send("{\"type\":\"client_ack\",\"clientMessageId\":\"zz\",\"brokerMessageId\":\"nope\"}");
        h.loop.runAll();
        h.durable.commitAll();

        List<StoredMessage> stored = committedDms();
        assertThat(stored).hasSize(2);
        StoredMessage first = stored.get(0);
        assertThat(first.clientMessageId()).isEqualTo("c1");
        assertThat(first.requestFingerprint()).isEqualTo("fp1");
        assertThat(first.priority()).isEqualTo("now");
        assertThat(first.targetKey()).isEqualTo(b.key());
        assertThat(new String(first.nonce(), StandardCharsets.US_ASCII)).isEqualTo("bm9uY2U=");
        assertThat(new String(first.ciphertext(), StandardCharsets.US_ASCII)).isEqualTo("Zmlyc3Q=");
        assertThat(stored.get(1).clientMessageId()).isEqualTo("c2");
        assertThat(stored.get(1).requestFingerprint()).isNull();
        assertThat(b.pushes()).hasSize(2);
        assertThat(b.pushes().get(1)).contains("\"ciphertext\":\"c2Vjb25k\"").doesNotContain("fp1");
        assertThat(b.pushes().get(0)).contains("\"ciphertext\":\"Zmlyc3Q=\"", "\"client_message_id\":\"c1\"",
                "\"request_fingerprint\":\"fp1\"");
        assertThat(a.conn().framesContaining("\"type\":\"ack\"")).hasSize(2)
                .allSatisfy(ack -> assertThat(ack).contains("\"queued\":true"));
        assertThat(a.conn().framesContaining("\"id\":\"c1\"")).hasSize(1);
    }

    @Test
    void shouldKeepEveryValueOfABinaryDmAfterTheSenderReadsItsNextFrames() {
        // binary alice to binary bob and to JSON carol; JSON dave to binary bob: converted once at the edge
        MeshHarness.Peer a = h.session(h.member("alice"), "s-a", WireFormat.BINARY);
        MeshHarness.Peer b = h.session(h.member("bob"), "s-b", WireFormat.BINARY);
        MeshHarness.Peer c = h.session(h.member("carol"), "s-c");
        MeshHarness.Peer d = h.session(h.member("dave"), "s-d");
        a.send("{\"type\":\"send\",\"id\":\"c1\",\"client_message_id\":\"c1\",\"request_fingerprint\":\"fp1\","
                + "\"targetSpec\":\"" + b.key() + "\",\"priority\":\"now\",\"nonce\":\"bm9uY2U=\","
                + "\"ciphertext\":\"Zmlyc3Q=\"}");
        a.send("{\"type\":\"send\",\"id\":\"c2\",\"client_message_id\":\"c2\",\"targetSpec\":\"" + c.key()
                + "\",\"priority\":\"next\",\"nonce\":\"QUFBQQ==\",\"ciphertext\":\"c2Vjb25k\"}");
        a.send("{\"type\":\"client_ack\",\"clientMessageId\":\"zz\",\"brokerMessageId\":\"nope\"}");
        d.send("{\"type\":\"send\",\"id\":\"d1\",\"client_message_id\":\"d1\",\"targetSpec\":\"" + b.key()
                + "\",\"priority\":\"low\",\"nonce\":\"ZGRkZA==\",\"ciphertext\":\"dGhpcmQ=\"}");
        h.loop.runAll();
        h.durable.commitAll();

        List<StoredMessage> stored = committedDms();
        assertThat(stored).hasSize(3);
        StoredMessage first = stored.get(0);
        assertThat(first.clientMessageId()).isEqualTo("c1");
        assertThat(first.requestFingerprint()).isEqualTo("fp1");
        assertThat(first.targetKey()).isEqualTo(b.key());
        assertThat(new String(first.nonce(), StandardCharsets.US_ASCII)).isEqualTo("bm9uY2U=");
        assertThat(new String(first.ciphertext(), StandardCharsets.US_ASCII)).isEqualTo("Zmlyc3Q=");
        assertThat(new String(stored.get(1).ciphertext(), StandardCharsets.US_ASCII)).isEqualTo("c2Vjb25k");
        assertThat(stored.get(1).requestFingerprint()).isNull();
        // bob's pushes are binary frames (decoded by the fake), carol's JSON
        assertThat(b.pushes()).hasSize(2);
        assertThat(b.pushes().get(0)).contains("\"ciphertext\":\"Zmlyc3Q=\"", "\"client_message_id\":\"c1\"",
                "\"request_fingerprint\":\"fp1\"", "\"priority\":\"now\"");
        assertThat(b.pushes().get(1)).contains("\"ciphertext\":\"dGhpcmQ=\"", "\"senderPubkey\":\"" + d.key() + "\"",
                "\"priority\":\"low\"").doesNotContain("fp1");
        assertThat(c.pushes()).singleElement().asString().contains("\"ciphertext\":\"c2Vjb25k\"",
                "\"nonce\":\"QUFBQQ==\"", "\"senderPubkey\":\"" + a.key() + "\"");
        List<String> acks = a.conn().framesContaining("\"type\":\"ack\"");
        assertThat(acks).hasSize(2).allSatisfy(ack -> assertThat(ack).contains("\"queued\":true"));
        assertThat(acks.get(0)).contains("\"id\":\"c1\"", "\"messageId\":\"" + first.messageId() + "\"");
        assertThat(acks.get(1)).contains("\"id\":\"c2\"", "\"messageId\":\"" + stored.get(1).messageId() + "\"");
        assertThat(d.conn().framesContaining("\"type\":\"ack\"")).singleElement().asString()
                .contains("\"queued\":true");
    }

    private List<StoredMessage> committedDms() {
        return h.durable.committed.stream()
                .filter(op -> op instanceof DurableOp.EnqueueMessage)
                .map(op -> ((DurableOp.EnqueueMessage) op).message()).toList();
    }
}
