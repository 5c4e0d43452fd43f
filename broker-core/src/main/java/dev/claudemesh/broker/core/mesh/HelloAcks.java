package dev.claudemesh.broker.core.mesh;

import dev.claudemesh.broker.core.audit.AuditChain;
import dev.claudemesh.broker.core.envelope.Frames;
import dev.claudemesh.broker.core.envelope.JsonOut;
import dev.claudemesh.broker.core.model.Member;

/**
 * The {@code hello_ack} of the {@code hello} path (PROTOCOL §3.3, PROTOCOL-MESH §2.2): the core fields, then, when the
 * member's saved peer state was restored, {@code restored:true}, {@code lastSummary} (when non-empty),
 * {@code lastSeenAt} (when set), {@code restoredGroups} (when the hello named no groups and saved ones were used) and
 * {@code restoredStats}; and on every one {@code services}, the deployed MCP services the lease may see (PROTOCOL-MESH
 * §15). This broker cannot deploy MCP services, so the list is always empty: a service that deploys them would write
 * its list here. The {@code session_hello} path keeps the core {@link Frames#helloAck}. Stateless.
 */
final class HelloAcks {

    private HelloAcks() {
    }

    /** The ack of a {@code hello} that made a new lease; {@code restored} is null when nothing was restored. */
    static byte[] hello(Lease l, Member m, SavedPeerState restored, boolean restoredGroups) {
        JsonOut o = Frames.beginHelloAck(l.presenceId, m.displayName(), m.roleTag(), l.groups, m.messageMode(), true);
        if (restored != null) {
            o.field("restored", true);
            if (restored.lastSummary() != null && !restored.lastSummary().isEmpty()) {
                o.field("lastSummary", restored.lastSummary());
            }
            if (restored.lastSeenAtMs() != null) {
                o.field("lastSeenAt", AuditChain.isoMillis(restored.lastSeenAtMs()));
            }
            if (restoredGroups) {
                o.name("restoredGroups");
                Frames.groups(o, restored.groups());
            }
            SavedPeerState.Stats st = restored.cumulativeStats();
            o.name("restoredStats").beginObject().field("messagesIn", st.messagesIn())
                    .field("messagesOut", st.messagesOut()).field("toolCalls", st.toolCalls())
                    .field("errors", st.errors()).endObject();
        }
        return services(o).endObject().toBytes();
    }

    /** The ack of a {@code hello} that took its grace lease over: no {@code memberProfile} (PROTOCOL §3.3). */
    static byte[] helloReattach(Lease l) {
        JsonOut o = Frames.beginHelloAck(l.presenceId, l.member.displayName(), null, null, null, false);
        return services(o).endObject().toBytes();
    }

    private static JsonOut services(JsonOut o) {
        return o.name("services").beginArray().endArray();
    }
}
