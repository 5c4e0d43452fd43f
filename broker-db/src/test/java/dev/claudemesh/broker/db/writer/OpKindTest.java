package dev.claudemesh.broker.db.writer;

import dev.claudemesh.broker.core.audit.AuditEvent;
import dev.claudemesh.broker.core.model.StoredMessage;
import dev.claudemesh.broker.core.port.DurableOp;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class OpKindTest {

    @Test
    void shouldHaveExactlyOneKindPerOpType() {
        assertThat(Arrays.stream(OpKind.values()).<Class<?>>map(OpKind::type))
                .containsExactlyInAnyOrder(DurableOp.class.getPermittedSubclasses());
    }

    @Test
    void shouldFindTheKindOfEveryOpByItsRecordType() {
        List<DurableOp> oneOfEach = List.of(TestOps.enqueue("m"), new DurableOp.MarkDelivered("m", "x", 1),
                new DurableOp.UpsertPresence("m", "p", "mem", null, null, null, null, null, null, null, 1),
                new DurableOp.DisconnectPresence("m", "p", 1), TestAudits.audit("m", "peer_left", null, Map.of(), 1));

        assertThat(oneOfEach).<Class<?>>extracting(Object::getClass)
                .containsExactlyInAnyOrder(DurableOp.class.getPermittedSubclasses());
        for (DurableOp op : oneOfEach) {
            assertThat(OpKind.of(op).type()).isEqualTo(op.getClass());
        }
        assertThat(OpKind.of(oneOfEach.get(0))).isEqualTo(OpKind.ENQUEUE);
        assertThat(OpKind.of(oneOfEach.get(4))).isEqualTo(OpKind.APPEND_AUDIT);
    }

    @Test
    void shouldNameTheMissingFieldOfAMalformedOp() {
        StoredMessage ok = TestOps.dm("m");
        StoredMessage noTarget = new StoredMessage(ok.messageId(), "m", null, null, null, null, null, "now",
                ok.nonce(), ok.ciphertext(), null, null, 1, 2);

        assertThatThrownBy(() -> Pending.of(new DurableOp.EnqueueMessage(noTarget), null))
                .isInstanceOf(NullPointerException.class).hasMessage("targetKey");
        assertThatThrownBy(() -> Pending.of(new DurableOp.MarkDelivered("m", null, 1), null))
                .isInstanceOf(NullPointerException.class).hasMessage("messageId");
        assertThatThrownBy(() -> Pending.of(new DurableOp.UpsertPresence("m", "p", null, null, null, null, null, null,
                null, null, 1), null)).isInstanceOf(NullPointerException.class).hasMessage("memberId");
        assertThatThrownBy(() -> Pending.of(new DurableOp.DisconnectPresence(null, "p", 1), null))
                .isInstanceOf(NullPointerException.class).hasMessage("meshId");
        assertThatThrownBy(() -> Pending.of(new DurableOp.AppendAudit(null, null, new AuditEvent.PeerLeft(), 1),
                null)).isInstanceOf(NullPointerException.class).hasMessage("meshId");
    }

    @Test
    void shouldLeaveAnAuditEventsCanonicalPayloadToTheWriterThread() {
        DurableOp.AppendAudit op = TestAudits.audit("m", "message_sent", "a", Map.of("b", 2, "a", 1), 1);

        Pending p = Pending.of(op, null);

        assertThat(p.op()).isSameAs(op);
        assertThat(p.isMarker()).isFalse();
        assertThat(Pending.marker(() -> { }).isMarker()).isTrue();
    }
}
