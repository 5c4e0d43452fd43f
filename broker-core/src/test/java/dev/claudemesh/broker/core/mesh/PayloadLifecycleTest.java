package dev.claudemesh.broker.core.mesh;

import dev.claudemesh.broker.core.model.Payload;
import dev.claudemesh.broker.core.port.PayloadAllocator;
import dev.claudemesh.broker.core.testing.Identities;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A routed DM's payload is counted (Payload): one reference for the mesh's queue, one for the durable log. Whatever
 * happens to the DM (acked before or after its commit, held for an offline peer, expired, its mesh deleted), both
 * references are released exactly once, and nothing reads the bytes after the last release.
 */
class PayloadLifecycleTest {

    private static final long DAY_MS = 24L * 3600_000;

    private final MeshHarness h = new MeshHarness();
    private final Counting payloads = new Counting();
    private final Identities.MemberKeys alice = h.member("alice");
    private final Identities.MemberKeys bob = h.member("bob");

    PayloadLifecycleTest() {
        h.broker.usePayloads(payloads);
    }

    /** Payloads on the heap that count their references and refuse to be read once freed. */
    static final class Counting implements PayloadAllocator {
        final List<Counted> made = new ArrayList<>();

        @Override
        public Payload copy(byte[] n, int no, int nl, byte[] c, int co, int cl) {
            Counted p = new Counted(Arrays.copyOfRange(n, no, no + nl), Arrays.copyOfRange(c, co, co + cl));
            made.add(p);
            return p;
        }

        List<Integer> counts() {
            return made.stream().map(p -> p.refs).toList();
        }
    }

    static final class Counted extends Payload {
        private final byte[] nonce;
        private final byte[] ciphertext;
        int refs = 1;

        Counted(byte[] nonce, byte[] ciphertext) {
            this.nonce = nonce;
            this.ciphertext = ciphertext;
        }

        private void live() {
            if (refs <= 0) {
                throw new IllegalStateException("read after release");
            }
        }

        @Override
        public int nonceLength() {
            live();
            return nonce.length;
        }

        @Override
        public int ciphertextLength() {
            live();
            return ciphertext.length;
        }

        @Override
        public void getNonce(byte[] dst, int at) {
            live();
            System.arraycopy(nonce, 0, dst, at, nonce.length);
        }

        @Override
        public void getCiphertext(byte[] dst, int at) {
            live();
            System.arraycopy(ciphertext, 0, dst, at, ciphertext.length);
        }

        @Override
        public Payload retain() {
            live();
            refs++;
            return this;
        }

        @Override
        public void release() {
            live();
            refs--;
        }
    }

    private static String ack(String brokerMessageId) {
        return "{\"type\":\"client_ack\",\"brokerMessageId\":\"" + brokerMessageId + "\"}";
    }

    @Test
    void shouldReleaseBothReferencesOfADmAckedBeforeOrAfterItsCommit() {
        MeshHarness.Peer a = h.session(alice, "s-a");
        MeshHarness.Peer b = h.session(bob, "s-b");
        a.send(Identities.send("c1", b.key(), "now", "bm9uY2U=", "Y2lwaGVy"));
        h.loop.runAll();
        // pushed from the payload, byte for byte
        assertThat(b.pushes()).hasSize(1);
        assertThat(b.pushes().get(0)).contains("\"nonce\":\"bm9uY2U=\",\"ciphertext\":\"Y2lwaGVy\"");
        assertThat(payloads.counts()).containsExactly(2);

        b.send(ack(MeshHarness.field(b.pushes().get(0), "messageId"))); // acked before the commit
        h.loop.runAll();
        assertThat(payloads.counts()).containsExactly(1); // the log still holds it
        h.durable.commitAll();
        assertThat(payloads.counts()).containsExactly(0);

        a.send(Identities.send("c2", b.key(), "now", "bm9uY2U=", "c2Vjb25k"));
        h.loop.runAll();
        h.durable.commitAll(); // committed first
        assertThat(payloads.counts()).containsExactly(0, 1);
        b.send(ack(MeshHarness.field(b.pushes().get(1), "messageId")));
        h.loop.runAll();
        assertThat(payloads.counts()).containsExactly(0, 0);
    }

    /** Bob's session, closed: its lease is in grace, so DMs to its key are held. */
    private MeshHarness.Peer bobAway() {
        MeshHarness.Peer b = h.session(bob, "s-b");
        b.session().onClosed();
        h.loop.runAll();
        return b;
    }

    @Test
    void shouldKeepTheQueuesReferenceOfAHeldDmUntilItsRecipientAcksIt() {
        MeshHarness.Peer a = h.session(alice, "s-a");
        MeshHarness.Peer away = bobAway();
        a.send(Identities.send("c1", away.key(), "now", "bm9uY2U=", "aGVsZA=="));
        h.loop.runAll();
        h.durable.commitAll();
        assertThat(payloads.counts()).containsExactly(1);

        MeshHarness.Peer b = h.session(bob, away.sessionKeys(), "s-b"); // back: drained to it from the payload
        h.loop.runAll();
        assertThat(b.pushes()).hasSize(1);
        assertThat(b.pushes().get(0)).contains("\"ciphertext\":\"aGVsZA==\"");
        b.send(ack(MeshHarness.field(b.pushes().get(0), "messageId")));
        h.loop.runAll();
        assertThat(payloads.counts()).containsExactly(0);
    }

    @Test
    void shouldReleaseTheQueuesReferenceWhenAHeldDmExpires() {
        MeshHarness.Peer a = h.session(alice, "s-a");
        MeshHarness.Peer away = bobAway();
        a.send(Identities.send("c1", away.key(), "now", "bm9uY2U=", "Y2lwaGVy"));
        h.loop.runAll();
        h.durable.commitAll();
        assertThat(payloads.counts()).containsExactly(1);

        h.loop.advance(7 * DAY_MS + 120_000); // past the 7-day expiry and the next sweep

        assertThat(payloads.counts()).containsExactly(0);
        assertThat(h.mesh().queueStats().depth()).isZero();
    }

    @Test
    void shouldReleaseTheQueuesReferencesWhenTheMeshIsDeleted() {
        MeshHarness.Peer a = h.session(alice, "s-a");
        MeshHarness.Peer away = bobAway();
        a.send(Identities.send("c1", away.key(), "now", "bm9uY2U=", "b25l"));
        a.send(Identities.send("c2", away.key(), "now", "bm9uY2U=", "dHdv"));
        h.loop.runAll();
        h.durable.commitAll();
        assertThat(payloads.counts()).containsExactly(1, 1);

        h.broker.meshDeleted(MeshHarness.MESH, List.of(alice.pubkey(), bob.pubkey()));
        h.loop.runAll();

        assertThat(payloads.counts()).containsExactly(0, 0);
    }

    @Test
    void shouldNotTakeAPayloadForARefusedSendOrABroadcast() {
        MeshHarness.Peer a = h.session(alice, "s-a");
        h.session(bob, "s-b");
        a.send(Identities.send("c1", "f".repeat(64), "now", "bm9uY2U=", "Y2lwaGVy")); // no such peer
        a.send(Identities.send("c2", "*", "now", "bm9uY2U=", "Y2lwaGVy"));
        h.loop.runAll();
        h.durable.commitAll();
        assertThat(payloads.made).isEmpty();
    }

    @Test
    void shouldRefuseToReadACountedPayloadAfterItsLastRelease() {
        Counted p = (Counted) payloads.copy(new byte[]{'A'}, 0, 1, new byte[]{'B'}, 0, 1);
        p.release();
        assertThatThrownBy(() -> p.getNonce(new byte[1], 0)).isInstanceOf(IllegalStateException.class);
    }
}
