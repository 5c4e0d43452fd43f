package dev.claudemesh.broker.core.mesh;

import dev.claudemesh.broker.core.Ids;
import dev.claudemesh.broker.core.audit.AuditEvent;
import dev.claudemesh.broker.core.envelope.Frames;
import dev.claudemesh.broker.core.envelope.Inbound;
import dev.claudemesh.broker.core.model.Member;
import dev.claudemesh.broker.core.model.StoredMessage;

import java.util.List;

/**
 * {@code send} (PROTOCOL §4.1–§4.3), the hot path: rate limit, size, validity ({@link SendPolicy}), idempotency
 * ({@link IdempotencyWindow}), then a live-only multicast, or a DM that is queued, pushed at once when its recipient
 * is live and its status allows, made durable, and acked {@code queued:true} after the commit; a {@code #<topicId>}
 * send is handed to the topic service ({@link RoutedSend}), which answers it. Exactly one ack per send. Stateless; runs on the mesh loop.
 */
final class SendHandler implements MessageHandler<MeshCore> {

    @Override
    public void handle(MeshCore mesh, PeerSession from, Inbound in) {
        Lease l = from.lease;
        long now = mesh.nowMs();
        if (!mesh.rateLimits.trySend(l.member.id(), now)) {
            reject(mesh, from, in, SendRejection.RATE_LIMIT, mesh.rateLimits.sendLimitText());
            return;
        }
        int size = SendPolicy.payloadBytes(in);
        int max = mesh.settings().maxMessageBytes();
        if (size > max) {
            reject(mesh, from, in, SendRejection.PAYLOAD_TOO_LARGE,
                    "payload_too_large: " + size + " bytes > MAX_MESSAGE_BYTES=" + max);
            return;
        }
        String invalid = SendPolicy.invalid(in);
        if (invalid != null) {
            reject(mesh, from, in, SendRejection.INVALID, "invalid: " + invalid);
            return;
        }
        Priority priority = in.priority == null ? Priority.NEXT : Priority.parse(in.priority);
        String idemKey = null;
        if (in.clientMessageId != null && !in.clientMessageId.isEmpty()) {
            idemKey = IdempotencyWindow.key(l.routingKey(), in.clientMessageId);
            IdempotencyWindow.Entry previous = mesh.idempotency.lookup(idemKey, now);
            if (previous != null) {
                byte[] ack = Frames.ackQueued(in, previous.messageId);
                if (!mesh.idempotency.deferUntilCommitted(previous, () -> from.reply(ack))) {
                    from.reply(ack);
                }
                return;
            }
        }
        if (SendPolicy.isMulticast(in.targetSpec)) {
            multicast(mesh, from, l, in, priority, now, idemKey);
        } else if (SendPolicy.isTopic(in.targetSpec)) {
            // PROTOCOL-MESH §8.6: the topic service stores, fans out and answers through the RoutedSend
            if (!mesh.routeTopicSend(new RoutedSend(mesh, from, in, priority, now, idemKey))) {
                reject(mesh, from, in, SendRejection.INVALID, "invalid: this broker serves no topics");
            }
        } else {
            dm(mesh, from, l, in, priority, now, idemKey);
        }
    }

    private static void reject(MeshCore mesh, PeerSession from, Inbound in, SendRejection why, String error) {
        mesh.metrics().messageRejected(why.metricReason());
        from.reply(Frames.ackFailed(in, error));
    }

    private static void dm(MeshCore mesh, PeerSession from, Lease l, Inbound in, Priority priority, long now,
                           String idemKey) {
        String target = in.targetSpec;
        // a session key first, else a member key; the sender's own socket never counts
        Lease recipient = mesh.leases.bySessionKey(target);
        Member recipientMember = null;
        if (recipient != null) {
            if (recipient != l) {
                recipientMember = recipient.member;
            }
        } else {
            List<Lease> ofMember = mesh.leases.ofMember(target);
            for (int i = 0; i < ofMember.size(); i++) {
                if (ofMember.get(i) != l) {
                    recipientMember = ofMember.get(i).member;
                    break;
                }
            }
        }
        if (recipientMember == null) {
            reject(mesh, from, in, SendRejection.NO_PEER, SendPolicy.NO_PEER_TEXT);
            return;
        }
        if (!SendPolicy.granted(recipientMember, l.member.pubkey(), "dm")) {
            mesh.metrics().droppedByGrant("dm");
            reject(mesh, from, in, SendRejection.GRANTS, SendPolicy.GRANTS_TEXT);
            return;
        }
        String messageId = Ids.newId();
        StoredMessage msg = new StoredMessage(messageId, mesh.meshId(), l.member.id(), l.member.pubkey(),
                l.routingKey(), l.displayName, target, priority.wire(), in.nonce, in.ciphertext, in.clientMessageId,
                in.requestFingerprint, now, now + mesh.settings().dmExpiryMs());
        QueuedDm dm = new QueuedDm(msg);
        mesh.queues.enqueue(dm);
        mesh.metrics().messageRouted(priority.wire());
        // push before the commit: lowest latency; a crash now yields at most a duplicate (no ack was sent)
        Lease to = recipient != null ? recipient : mesh.leases.preferredLease(target);
        if (to != null && to.live && to.deliverable(priority)) {
            mesh.queues.push(dm, to, now);
        }
        IdempotencyWindow.Entry idem = mesh.idempotency.remember(idemKey, messageId, now, now);
        byte[] ack = Frames.ackQueued(in, messageId);
        // on the writer thread, after the commit: the ack needs no mesh state; the window is told on the loop
        mesh.journal.enqueue(msg, () -> {
            from.reply(ack);
            mesh.idempotency.committedOnWriter(idem);
        });
        mesh.journal.audit(l.member.id(), new AuditEvent.MessageSent(target, priority.wire()), now);
    }

    /** {@code *}, {@code @all} or {@code @group}: pushed at once to live leases of other members, never stored. */
    private static void multicast(MeshCore mesh, PeerSession from, Lease l, Inbound in, Priority priority, long now,
                                  String idemKey) {
        String target = in.targetSpec;
        String group = target.equals("*") || target.equals("@all") ? null : target.substring(1);
        String messageId = Ids.newId();
        byte[] frame = null;
        for (Lease r : mesh.leases.all()) {
            if (!r.live || r.member.id().equals(l.member.id()) || (group != null && !r.inGroup(group))) {
                continue;
            }
            if (!SendPolicy.granted(r.member, l.member.pubkey(), "broadcast")) {
                mesh.metrics().droppedByGrant("broadcast");
                continue;
            }
            if (frame == null) {
                frame = Frames.multicastPush(messageId, mesh.meshId(), l.routingKey(), priority.wire(), in.nonce,
                        in.ciphertext, now, in.clientMessageId, in.requestFingerprint, l.member.pubkey(),
                        l.member.id(), l.displayName);
            }
            r.session.conn.send(frame);
            mesh.metrics().pushesTotal.increment();
        }
        mesh.metrics().messageRouted(priority.wire());
        // never stored, so acked at once: its idempotency entry is committed at once too
        mesh.idempotency.committed(mesh.idempotency.remember(idemKey, messageId, now, now));
        from.reply(Frames.ackQueued(in, messageId));
        mesh.journal.audit(l.member.id(), new AuditEvent.MessageSent(target, priority.wire()), now);
    }
}
