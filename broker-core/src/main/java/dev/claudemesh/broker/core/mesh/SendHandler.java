package dev.claudemesh.broker.core.mesh;

import dev.claudemesh.broker.core.Ids;
import dev.claudemesh.broker.core.audit.AuditEvent;
import dev.claudemesh.broker.core.envelope.BinaryFrames;
import dev.claudemesh.broker.core.envelope.BinaryWriter;
import dev.claudemesh.broker.core.envelope.Frames;
import dev.claudemesh.broker.core.envelope.Inbound;
import dev.claudemesh.broker.core.envelope.WireFormat;
import dev.claudemesh.broker.core.model.Member;
import dev.claudemesh.broker.core.model.Payload;
import dev.claudemesh.broker.core.model.StoredMessage;
import dev.claudemesh.broker.core.port.Fanout;

import java.util.List;

/**
 * {@code send} (PROTOCOL §4.1–§4.3), the hot path: rate limit, size, validity ({@link SendPolicy}), idempotency
 * ({@link IdempotencyWindow}), then a live-only multicast, or a DM that is queued, pushed at once when its recipient
 * is live and its status allows, made durable, and acked {@code queued:true} after the commit; a {@code #<topicId>}
 * send is handed to the topic service ({@link RoutedSend}), which answers it. Exactly one ack per send. Stateless;
 * runs on the mesh loop.
 *
 * <p>The same path serves sends the broker makes on a member's behalf ({@link MeshContext#sendOnBehalf}: the
 * scheduler): {@link #send} with no socket, a detached sender lease ({@link Lease#detached}) and an
 * {@link OnBehalf} that hears the outcome instead of an ack frame. The socket path passes null for both and is
 * otherwise unchanged.</p>
 */
final class SendHandler implements MessageHandler<MeshCore> {


    /** What a send made on a member's behalf adds: its message id, subtype and target rule, and who hears the end. */
    record OnBehalf(String messageId, String subtype, boolean toOwnMember, SendOutcome outcome) {
    }

    @Override
    public void handle(MeshCore mesh, PeerSession from, Inbound in) {
        send(mesh, from, from.lease, in, null);
    }

    /**
     * Everything a send keeps is a value of the request (the ids, target and payload in the stored message, the ack
     * encoded at once), except a topic send's {@link RoutedSend}, which gets a copy.
     */
    @Override
    public boolean keepsRequest() {
        return false;
    }

    /**
     * A send by {@code l}: from its socket {@code from} (then {@code onBehalf} is null), or made by the broker on a
     * member's behalf ({@code from} null, {@code l} detached, {@code onBehalf} set; {@code in} has no
     * {@code client_message_id}).
     */
    static void send(MeshCore mesh, PeerSession from, Lease l, Inbound in, OnBehalf onBehalf) {
        long now = mesh.nowMs();
        if (!mesh.rateLimits.trySend(l.member.id(), now)) {
            reject(mesh, from, onBehalf, in, SendRejection.RATE_LIMIT, mesh.rateLimits.sendLimitText());
            return;
        }
        int size = SendPolicy.payloadBytes(in);
        int max = mesh.settings().maxMessageBytes();
        if (size > max) {
            reject(mesh, from, onBehalf, in, SendRejection.PAYLOAD_TOO_LARGE,
                    "payload_too_large: " + size + " bytes > MAX_MESSAGE_BYTES=" + max);
            return;
        }
        String invalid = SendPolicy.invalid(in);
        if (invalid != null) {
            reject(mesh, from, onBehalf, in, SendRejection.INVALID, "invalid: " + invalid);
            return;
        }
        Priority priority = in.priority == null ? Priority.NEXT : Priority.parse(in.priority);
        IdempotencyWindow.Key idemKey = null;
        if (in.clientMessageId != null && !in.clientMessageId.isEmpty()) {
            idemKey = IdempotencyWindow.key(l.routingKey(), in.clientMessageId);
            IdempotencyWindow.Entry previous = mesh.idempotency.lookup(idemKey, now);
            if (previous != null) {
                byte[] ack = ackQueued(from, in, previous.messageId);
                if (!mesh.idempotency.deferUntilCommitted(previous, () -> from.replyEncoded(ack))) {
                    from.replyEncoded(ack);
                }
                return;
            }
        }
        if (SendPolicy.isMulticast(in.targetSpec)) {
            multicast(mesh, from, l, in, priority, now, idemKey, onBehalf);
        } else if (SendPolicy.isTopic(in.targetSpec)) {
            // PROTOCOL-MESH §8.6: the topic service stores, fans out and answers through the RoutedSend
            // the topic service answers after its commit: it gets an Inbound of its own, not the socket's reused one
            if (!mesh.routeTopicSend(new RoutedSend(mesh, from, l, in.copy(), priority, now, idemKey, onBehalf))) {
                reject(mesh, from, onBehalf, in, SendRejection.INVALID, "invalid: this broker serves no topics");
            }
        } else {
            dm(mesh, from, l, in, priority, now, idemKey, onBehalf);
        }
    }

    /** The success ack in the sender's encoding. */
    private static byte[] ackQueued(PeerSession from, Inbound in, String messageId) {
        return from.format() == WireFormat.BINARY ? BinaryFrames.ackQueued(in, messageId)
                : Frames.ackQueued(in, messageId);
    }

    private static void reject(MeshCore mesh, PeerSession from, OnBehalf onBehalf, Inbound in, SendRejection why,
                               String error) {
        mesh.metrics().messageRejected(why.metricReason());
        if (onBehalf == null) {
            from.replyEncoded(from.format() == WireFormat.BINARY
                    ? BinaryFrames.ackFailed(in, error) : Frames.ackFailed(in, error));
        } else {
            onBehalf.outcome().refused(why, error);
        }
    }

    private static void dm(MeshCore mesh, PeerSession from, Lease l, Inbound in, Priority priority, long now,
                           IdempotencyWindow.Key idemKey, OnBehalf onBehalf) {
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
        if (recipientMember == null && onBehalf != null && onBehalf.toOwnMember()) {
            // a reminder to oneself waits in the member's queue for any of its leases (PROTOCOL-MESH §7.10)
            recipientMember = l.member;
        }
        if (recipientMember == null) {
            reject(mesh, from, onBehalf, in, SendRejection.NO_PEER, SendPolicy.NO_PEER_TEXT);
            return;
        }
        if (!SendPolicy.granted(recipientMember, l.member.pubkey(), "dm")) {
            mesh.metrics().droppedByGrant("dm");
            reject(mesh, from, onBehalf, in, SendRejection.GRANTS, SendPolicy.GRANTS_TEXT);
            return;
        }
        String messageId = onBehalf == null ? Ids.newId() : onBehalf.messageId();
        // one reference for the queue (released when the DM leaves it), one for the durable log (after the commit)
        Payload payload = mesh.payloads().copy(in.nonceSrc, in.nonceOff, in.nonceLen,
                in.ciphertextSrc, in.ciphertextOff, in.ciphertextLen).retain();
        StoredMessage msg = new StoredMessage(messageId, mesh.meshId(), l.member.id(), l.member.pubkey(),
                l.routingKey(), l.displayName, target, priority.wire(), payload, in.clientMessageId,
                in.requestFingerprint, now, now + mesh.settings().dmExpiryMs(),
                onBehalf == null ? null : onBehalf.subtype());
        QueuedDm dm = new QueuedDm(msg);
        mesh.queues.enqueue(dm);
        mesh.metrics().messageRouted(priority.wire());
        // push before the commit: lowest latency; a crash now yields at most a duplicate (no ack was sent)
        Lease to = recipient != null ? recipient : mesh.leases.preferredLease(target);
        if (to != null && to.live && to.deliverable(priority)) {
            mesh.queues.push(dm, to, now);
        }
        if (onBehalf != null) {
            // accepted once the queue row is committed, told on the loop
            mesh.journal.enqueue(msg, () -> mesh.loop().execute(() -> onBehalf.outcome().accepted(messageId)));
        } else {
            IdempotencyWindow.Entry idem = mesh.idempotency.remember(idemKey, messageId, now, now);
            // on the writer thread, after the commit: the ack needs no mesh state; the window is told on the loop
            // encoded there, in that thread's scratch writer, from the (immutable) fields it needs: the socket's
            // Inbound is reused by the next frame, and no ack array is kept while the batch commits
            boolean hasId = in.hasId;
            String id = in.id;
            String clientMessageId = in.clientMessageId;
            if (from.format() == WireFormat.JSON) {
                boolean idNumeric = in.idNumeric;
                mesh.journal.enqueue(msg, () -> {
                    from.reply(Frames.ackQueuedScratch(hasId, idNumeric, id, clientMessageId, messageId));
                    mesh.idempotency.committedOnWriter(idem);
                });
            } else {
                mesh.journal.enqueue(msg, () -> {
                    BinaryWriter ack = BinaryFrames.ackQueuedScratch(hasId, id, clientMessageId, messageId);
                    from.replyEncodedCopy(ack.array(), ack.size());
                    mesh.idempotency.committedOnWriter(idem);
                });
            }
        }
        mesh.journal.audit(l.member.id(), new AuditEvent.MessageSent(target, priority.wire()), now);
    }

    /**
     * {@code *}, {@code @all} or {@code @group}: pushed at once to live, visible leases of other members (a hidden lease
     * is skipped, PROTOCOL-MESH §3.2) and acked at once. Its payload is never stored; a record of it is, already
     * delivered and without nonce or ciphertext, so that {@code message_status} can find it (PROTOCOL-MESH §1.2: the
     * original stored multicast rows and marked them delivered right after the fan-out).
     */
    private static void multicast(MeshCore mesh, PeerSession from, Lease l, Inbound in, Priority priority, long now,
                                  IdempotencyWindow.Key idemKey, OnBehalf onBehalf) {
        String target = in.targetSpec;
        String group = target.equals("*") || target.equals("@all") ? null : target.substring(1);
        String messageId = onBehalf == null ? Ids.newId() : onBehalf.messageId();
        byte[] frame = null;
        byte[] binaryFrame = null; // each encoding at most once, shared by its recipients
        // the payload text out of the frame once (it may be a range of the socket's reused frame), for both encodings
        byte[] nonce = in.nonceBytes();
        byte[] ciphertext = in.ciphertextBytes();
        Fanout out = mesh.loop().fanout(); // one hop per socket thread (ARCHITECTURE "Fan-out batching")
        int pushes = 0;
        for (Lease r : mesh.leases.all()) {
            if (!r.live || !r.visible || r.member.id().equals(l.member.id())
                    || (group != null && !r.inGroup(group))) {
                continue;
            }
            if (!SendPolicy.granted(r.member, l.member.pubkey(), "broadcast")) {
                mesh.metrics().droppedByGrant("broadcast");
                continue;
            }
            if (r.session.conn.format() == WireFormat.BINARY) {
                if (binaryFrame == null) {
                    binaryFrame = BinaryFrames.multicastPush(messageId, mesh.meshId(), l.routingKey(),
                            priority.wire(), nonce, ciphertext, now, in.clientMessageId,
                            in.requestFingerprint, l.member.pubkey(), l.member.id(), l.displayName,
                            onBehalf == null ? null : onBehalf.subtype());
                }
                out.sendEncoded(r.session.conn, binaryFrame);
                pushes++;
                continue;
            }
            if (frame == null) {
                frame = Frames.multicastPush(messageId, mesh.meshId(), l.routingKey(), priority.wire(),
                        nonce, ciphertext, now, in.clientMessageId, in.requestFingerprint,
                        l.member.pubkey(), l.member.id(), l.displayName, onBehalf == null ? null : onBehalf.subtype());
            }
            out.send(r.session.conn, frame);
            pushes++;
        }
        out.finish();
        mesh.metrics().pushesTotal.add(pushes);
        mesh.metrics().messageRouted(priority.wire());
        // the record for message_status: delivered in the same batch (the writer folds the mark into the insert)
        mesh.journal.enqueue(new StoredMessage(messageId, mesh.meshId(), l.member.id(), l.member.pubkey(),
                l.routingKey(), l.displayName, target, priority.wire(), Payload.EMPTY, in.clientMessageId,
                in.requestFingerprint, now, now, onBehalf == null ? null : onBehalf.subtype()), null);
        mesh.journal.delivered(messageId, now);
        if (onBehalf != null) {
            onBehalf.outcome().accepted(messageId);
        } else {
            // the payload is never stored, so acked at once: its idempotency entry is committed at once too
            mesh.idempotency.committed(mesh.idempotency.remember(idemKey, messageId, now, now));
            from.replyEncoded(ackQueued(from, in, messageId));
        }
        mesh.journal.audit(l.member.id(), new AuditEvent.MessageSent(target, priority.wire()), now);
    }
}
