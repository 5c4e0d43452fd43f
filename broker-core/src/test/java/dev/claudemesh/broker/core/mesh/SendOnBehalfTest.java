package dev.claudemesh.broker.core.mesh;

import dev.claudemesh.broker.core.BrokerSettings;
import dev.claudemesh.broker.core.Ids;
import dev.claudemesh.broker.core.audit.AuditEvent;
import dev.claudemesh.broker.core.port.DurableOp;
import dev.claudemesh.broker.core.testing.Identities;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link MeshContext#sendOnBehalf}: the core send path run without a socket. The sender rule (the attached lease of
 * the member, else the member key, never another member's lease), the checks it shares with {@code send} (rate
 * limit, size, validity, pre-flight, grants), the outcome instead of an ack, and {@code toOwnMember}.
 */
class SendOnBehalfTest {

    private final MeshHarness h = new MeshHarness(BrokerSettings.defaults().withSendRate(60, 4));
    private final Identities.MemberKeys alice = h.member("alice");
    private final Identities.MemberKeys bob = h.member("bob");
    private final List<String> outcomes = new ArrayList<>();

    private final SendOutcome recording = new SendOutcome() {
        @Override
        public void accepted(String messageId) {
            outcomes.add("accepted " + messageId);
        }

        @Override
        public void refused(SendRejection reason, String error) {
            outcomes.add("refused " + reason.metricReason() + ": " + error);
        }
    };

    private OnBehalfSend send(String presenceId, String target, String text, boolean toOwnMember, String messageId) {
        return new OnBehalfSend(alice.memberId(), alice.pubkey(), "alice", presenceId, target,
                Base64.getEncoder().encode(text.getBytes(StandardCharsets.UTF_8)), Priority.NOW, "reminder",
                toOwnMember, messageId);
    }

    private void run(OnBehalfSend s) {
        h.loop.execute(() -> h.mesh().core.sendOnBehalf(s, recording));
        h.loop.runAll();
        h.durable.commitAll();
        h.loop.runAll();
    }

    @Test
    void shouldSendAsTheAttachedLeaseOfTheMemberAndAcceptOnlyAfterTheCommit() {
        MeshHarness.Peer a = h.session(alice, "a");
        MeshHarness.Peer b = h.session(bob, "b");
        String id = Ids.newId();
        h.loop.execute(() -> h.mesh().core.sendOnBehalf(send(a.presenceId(), b.key(), "hi", false, id), recording));
        h.loop.runAll();
        assertThat(b.pushes()).singleElement().satisfies(p -> assertThat(p)
                .contains("\"messageId\":\"" + id + "\"", "\"senderPubkey\":\"" + a.key() + "\"")
                .endsWith(",\"senderName\":\"n-a\",\"subtype\":\"reminder\"}"));
        assertThat(outcomes).isEmpty(); // not before the queue row commits
        h.durable.commitAll();
        h.loop.runAll();
        assertThat(outcomes).containsExactly("accepted " + id);
        assertThat(a.conn().framesContaining("\"type\":\"ack\"")).isEmpty();
        assertThat(h.audits()).filteredOn(e -> e.event() instanceof AuditEvent.MessageSent).singleElement()
                .satisfies(e -> assertThat(e.actorId()).isEqualTo(alice.memberId()));
    }

    @Test
    void shouldNeverSendAsAnotherMembersLease() {
        MeshHarness.Peer b = h.session(bob, "b");
        MeshHarness.Peer b2 = h.session(bob, "b2");
        // the presence id names bob's lease: the send goes out as alice's member key, not as bob
        run(send(b.presenceId(), b2.key(), "hi", false, Ids.newId()));
        assertThat(b2.pushes()).singleElement().satisfies(p -> assertThat(p)
                .contains("\"senderPubkey\":\"" + alice.pubkey() + "\"").contains("\"senderName\":\"alice\""));
        assertThat(h.durable.committed).filteredOn(op -> op instanceof DurableOp.EnqueueMessage)
                .extracting(op -> ((DurableOp.EnqueueMessage) op).message().senderMemberId())
                .containsExactly(alice.memberId());
    }

    @Test
    void shouldShareTheChecksOfSend() {
        MeshHarness.Peer b = h.session(bob, "b");
        run(send(null, "f".repeat(64), "nobody", false, "m1"));
        run(send(null, "not-a-target", "x", false, "m2"));
        run(send(null, b.key(), "x".repeat(70_000), false, "m3"));
        run(send(null, b.key(), "ok", false, "m4"));
        run(send(null, b.key(), "one too many", false, "m5"));
        assertThat(outcomes).containsExactly(
                "refused no_peer: " + SendPolicy.NO_PEER_TEXT,
                "refused invalid: invalid: targetSpec must be a 64-hex key, *, @all or @group",
                "refused payload_too_large: payload_too_large: 93400 bytes > MAX_MESSAGE_BYTES=65536",
                "accepted m4",
                "refused rate_limit: " + h.mesh().core.rateLimits.sendLimitText());
        assertThat(b.pushes()).hasSize(1);
        MeshHarness other = new MeshHarness();
        Identities.MemberKeys carol = other.member("carol", Map.of());
        Identities.MemberKeys dan = other.member("dan", Map.of(carol.pubkey(), List.of("read")));
        MeshHarness.Peer d = other.session(dan, "d");
        List<String> got = new ArrayList<>();
        other.loop.execute(() -> other.mesh().core.sendOnBehalf(new OnBehalfSend(carol.memberId(), carol.pubkey(),
                "carol", null, d.key(), "eA==".getBytes(StandardCharsets.US_ASCII), Priority.NOW, null, false, "g"),
                new SendOutcome() {
                    @Override
                    public void accepted(String messageId) {
                        got.add("accepted");
                    }

                    @Override
                    public void refused(SendRejection reason, String error) {
                        got.add(reason.metricReason());
                    }
                }));
        other.loop.runAll();
        assertThat(got).containsExactly("grants");
    }

    @Test
    void shouldQueueForTheOwnMemberKeyWithNoLeaseConnectedOnlyWhenAskedTo() {
        run(send(null, alice.pubkey(), "self", true, "q1"));
        run(send(null, alice.pubkey(), "self", false, "q2"));
        assertThat(outcomes).containsExactly("accepted q1", "refused no_peer: " + SendPolicy.NO_PEER_TEXT);
        assertThat(h.durable.committed).filteredOn(op -> op instanceof DurableOp.EnqueueMessage).singleElement()
                .satisfies(op -> {
                    DurableOp.EnqueueMessage q = (DurableOp.EnqueueMessage) op;
                    assertThat(q.message().targetKey()).isEqualTo(alice.pubkey());
                    assertThat(q.message().subtype()).isEqualTo("reminder");
                });
        MeshHarness.Peer a = h.session(alice, "a");
        assertThat(a.pushes()).singleElement().satisfies(p -> assertThat(p).endsWith(",\"subtype\":\"reminder\"}"));
    }
}
