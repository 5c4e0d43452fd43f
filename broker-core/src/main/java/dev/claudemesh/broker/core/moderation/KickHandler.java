package dev.claudemesh.broker.core.moderation;

import dev.claudemesh.broker.core.audit.AuditEvent;
import dev.claudemesh.broker.core.envelope.Frames;
import dev.claudemesh.broker.core.envelope.Inbound;
import dev.claudemesh.broker.core.envelope.JsonNode;
import dev.claudemesh.broker.core.envelope.JsonOut;
import dev.claudemesh.broker.core.mesh.Ending;
import dev.claudemesh.broker.core.mesh.Lease;
import dev.claudemesh.broker.core.mesh.MessageHandler;
import dev.claudemesh.broker.core.mesh.PeerRole;
import dev.claudemesh.broker.core.mesh.PeerSession;
import dev.claudemesh.broker.core.model.MemberRole;
import dev.claudemesh.broker.core.port.MemberRoles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code kick} and {@code disconnect} (PROTOCOL-MESH §9.2 with the §9.6 [fix]). The mode is the first that applies:
 * {@code all} truthy → every lease but the caller's own (its sibling sessions included); {@code stale} a non-zero number
 * of ms → leases whose socket has been gone longer than that (a live socket is never stale: the transport closes one
 * that stops answering pings, and it enters grace); {@code target} → leases whose lease name is the target or whose
 * member key starts with it ({@link Targets}: at least 8 hex characters), the caller's own lease excluded [fix].
 * {@code kick} spares control-plane leases and reports them; {@code disconnect} closes them too.
 *
 * <p>After the caller's role is read (only admins may: else {@code forbidden}, with the original's texts fixed),
 * each selected lease is audited {@code member_kicked} and ended through the mesh's one lease-ending path
 * ({@link Ending#KICKED}, {@link Ending#KICKED_STALE}, {@link Ending#DISCONNECTED}, {@link Ending#DISCONNECTED_STALE}):
 * socket closed 4001 or 1000, capacity freed, {@code peer_left} to other members, services told. The reply
 * {@code {"type":"kick_ack"|"disconnect_ack","kicked","affected","skipped_control_plane"?,"_reqId"?}} lists lease
 * names (the presence id for an empty one) and is sent even when nothing matched. Bad {@code stale} or
 * {@code target} values get {@code bad_request}. Runs on the mesh loop; stateless.</p>
 */
final class KickHandler implements MessageHandler<Moderation> {

    private static final Logger log = LoggerFactory.getLogger(KickHandler.class);

    private final MemberRoles roles;
    private final boolean disconnect;
    private final String verb;

    KickHandler(MemberRoles roles, boolean disconnect) {
        this.roles = roles;
        this.disconnect = disconnect;
        this.verb = disconnect ? "disconnect" : "kick";
    }

    /** The leases a request selects. */
    private record Selection(boolean all, long staleMs, String target) {
    }

    @Override
    public void handle(Moderation m, PeerSession from, Inbound in) {
        Selection sel = selection(m, from, in);
        if (sel == null) {
            return;
        }
        String meshId = m.mesh.meshId();
        String callerId = Moderation.memberId(from);
        m.mesh.onLoop(m.mesh.storage(() -> roles.roleOf(meshId, callerId)), (role, failure) -> {
            if (failure != null) {
                m.failed(from, in, failure);
            } else if (role != MemberRole.ADMIN) {
                m.refuse(from, in, BanRules.FORBIDDEN, "only owner or admin can " + verb);
            } else {
                apply(m, from, in, sel, callerId);
            }
        });
    }

    /** Reads the mode from the frame; null after answering {@code bad_request}. */
    private Selection selection(Moderation m, PeerSession from, Inbound in) {
        JsonNode.ObjectNode body = in.body();
        if (truthy(body.get("all"))) {
            return new Selection(true, 0, null);
        }
        JsonNode stale = body.get("stale");
        if (stale instanceof JsonNode.NumberNode n) {
            BigDecimal ms = n.decimalValue();
            if (ms.signum() < 0) {
                m.refuse(from, in, "bad_request", "stale must be a positive number of milliseconds");
                return null;
            }
            if (ms.signum() > 0) {
                return new Selection(false, ms.min(BigDecimal.valueOf(Long.MAX_VALUE / 2)).longValue(), null);
            }
        } else if (stale != null && !(stale instanceof JsonNode.NullNode)) {
            m.refuse(from, in, "bad_request", "stale must be a number of milliseconds");
            return null;
        }
        JsonNode target = body.get("target");
        if (target instanceof JsonNode.StringNode s) {
            return new Selection(false, 0, s.value().isEmpty() ? null : s.value());
        }
        if (target != null && !(target instanceof JsonNode.NullNode)) {
            m.refuse(from, in, "bad_request", "target must be a string");
            return null;
        }
        return new Selection(false, 0, null);
    }

    private void apply(Moderation m, PeerSession from, Inbound in, Selection sel, String callerId) {
        long nowMs = m.mesh.nowMs();
        Lease own = from.lease();
        String prefix = sel.target == null ? null : Targets.keyPrefix(sel.target);
        Ending ending = sel.staleMs > 0
                ? (disconnect ? Ending.DISCONNECTED_STALE : Ending.KICKED_STALE)
                : (disconnect ? Ending.DISCONNECTED : Ending.KICKED);
        List<Lease> selected = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        for (Lease l : m.mesh.leases().all()) {
            boolean chosen;
            if (l == own) {
                chosen = false;
            } else if (sel.all) {
                chosen = true;
            } else if (sel.staleMs > 0) {
                chosen = m.lastSeenMs(l, nowMs) < nowMs - sel.staleMs;
            } else {
                chosen = sel.target != null
                        && Targets.matches(sel.target, prefix, l.displayName(), l.member().pubkey());
            }
            if (!chosen) {
                continue;
            }
            if (!disconnect && l.peerRole() == PeerRole.CONTROL_PLANE) {
                skipped.add(name(l));
            } else {
                selected.add(l);
            }
        }
        List<String> affected = new ArrayList<>(selected.size());
        for (Lease l : selected) {
            affected.add(name(l));
            m.mesh.audit(callerId, new AuditEvent.MemberKicked(l.member().pubkey(), ending.closeReason()));
            m.mesh.end(l, ending);
        }
        log.info("mesh {} conn {}: {} by member {} ended {} leases ({} control-plane spared)", m.mesh.meshId(),
                from.connection().id(), verb, callerId, affected.size(), skipped.size());
        JsonOut o = Frames.beginReply(disconnect ? "disconnect_ack" : "kick_ack");
        names(o.name("kicked"), affected);
        names(o.name("affected"), affected);
        if (!skipped.isEmpty()) {
            names(o.name("skipped_control_plane"), skipped);
        }
        from.reply(Frames.endReply(o, in));
    }

    private static String name(Lease l) {
        String n = l.displayName();
        return n == null || n.isEmpty() ? l.presenceId() : n;
    }

    private static void names(JsonOut o, List<String> names) {
        o.beginArray();
        for (String n : names) {
            o.value(n);
        }
        o.endArray();
    }

    /** JavaScript truthiness of a JSON value (absent = undefined). */
    static boolean truthy(JsonNode n) {
        if (n == null || n instanceof JsonNode.NullNode) {
            return false;
        }
        if (n instanceof JsonNode.BooleanNode b) {
            return b.value();
        }
        if (n instanceof JsonNode.NumberNode num) {
            return num.decimalValue().signum() != 0;
        }
        if (n instanceof JsonNode.StringNode s) {
            return !s.value().isEmpty();
        }
        return true;
    }
}
