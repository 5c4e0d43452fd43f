package dev.claudemesh.broker.core.schedule;

import dev.claudemesh.broker.core.model.Member;
import dev.claudemesh.broker.core.port.DurableOp;
import dev.claudemesh.broker.core.testing.FakeDurableLog;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * {@link ScheduleStore} over a map, with the semantics of the PostgreSQL store: the cap counted per member, entries of
 * revoked members hidden, a send under way recognised as sent when its message was committed to {@code durable}.
 * Survives a "restart" (a new broker given the same store). Calls can be made to fail. Synchronized: a test may use
 * it from the storage lane and the test thread.
 */
final class MemoryScheduleStore implements ScheduleStore {

    final Map<String, ScheduledMessage> rows = new LinkedHashMap<>();
    private final Function<String, Member> members;
    private final FakeDurableLog durable;
    /** When set, every call throws this. */
    volatile RuntimeException failing;
    /** When set, only this operation ({@code "delete"}, {@code "claim"}, …) throws. */
    volatile String failingOnly;
    int claims;

    MemoryScheduleStore(Function<String, Member> members, FakeDurableLog durable) {
        this.members = members;
        this.durable = durable;
    }

    private void check() {
        if (failing != null) {
            throw failing;
        }
    }

    private void check(String operation) {
        check();
        if (operation.equals(failingOnly)) {
            throw new IllegalStateException(operation + " fails (test)");
        }
    }

    private boolean live(ScheduledMessage e) {
        Member m = members.apply(e.memberId());
        return m != null && !m.revoked();
    }

    @Override
    public synchronized List<String> meshesWithPending() {
        check();
        return rows.values().stream().filter(this::live).map(ScheduledMessage::meshId).distinct().toList();
    }

    @Override
    public synchronized InsertResult insert(ScheduledMessage entry, int maxPendingPerMember) {
        check();
        if (!live(entry)) {
            return InsertResult.NO_MEMBER;
        }
        long mine = rows.values().stream().filter(e -> e.memberId().equals(entry.memberId())).count();
        if (mine >= maxPendingPerMember) {
            return InsertResult.OVER_CAP;
        }
        rows.put(entry.id(), entry);
        return InsertResult.INSERTED;
    }

    @Override
    public synchronized List<ScheduledMessage> listByMember(String meshId, String memberId) {
        check();
        return rows.values().stream().filter(e -> e.meshId().equals(meshId) && e.memberId().equals(memberId))
                .sorted(Comparator.comparingLong(ScheduledMessage::createdAtMs)).toList();
    }

    @Override
    public synchronized boolean cancel(String meshId, String id, String memberId) {
        check();
        ScheduledMessage e = rows.get(id);
        if (e == null || !e.meshId().equals(meshId) || !e.memberId().equals(memberId)) {
            return false;
        }
        rows.remove(id);
        return true;
    }

    @Override
    public synchronized Due due(String meshId, long beforeMs) {
        check();
        List<ScheduledMessage> out = new ArrayList<>();
        long later = -1;
        for (ScheduledMessage e : rows.values()) {
            if (!e.meshId().equals(meshId) || !live(e)) {
                continue;
            }
            if (e.deliverAtMs() < beforeMs) {
                boolean sent = e.pendingMessageId() != null && committed(e.pendingMessageId());
                out.add(new ScheduledMessage(e.id(), e.meshId(), e.memberId(), e.presenceId(), e.target(), e.toSelf(),
                        e.message(), e.deliverAtMs(), e.cron(), e.subtype(), e.firedCount(), e.createdAtMs(),
                        e.pendingMessageId(), sent));
            } else {
                later = later < 0 ? e.deliverAtMs() : Math.min(later, e.deliverAtMs());
            }
        }
        out.sort(Comparator.comparingLong(ScheduledMessage::deliverAtMs));
        return new Due(out, later);
    }

    private boolean committed(String messageId) {
        for (DurableOp op : durable.committed) {
            if (op instanceof DurableOp.EnqueueMessage m && m.message().messageId().equals(messageId)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public synchronized MemberRef claim(String id, String messageId) {
        check("claim");
        claims++;
        ScheduledMessage e = rows.get(id);
        if (e == null || !live(e)) {
            return null;
        }
        rows.put(id, with(e, e.deliverAtMs(), e.firedCount(), messageId));
        Member m = members.apply(e.memberId());
        return new MemberRef(m.pubkey(), m.displayName());
    }

    @Override
    public synchronized void delete(String id) {
        check("delete");
        rows.remove(id);
    }

    @Override
    public synchronized void advance(String id, long nextDeliverAtMs, int firedCount, Long firedAtMs) {
        check();
        ScheduledMessage e = rows.get(id);
        if (e != null) {
            rows.put(id, with(e, nextDeliverAtMs, firedCount, null));
        }
    }

    private static ScheduledMessage with(ScheduledMessage e, long deliverAtMs, int firedCount, String pending) {
        return new ScheduledMessage(e.id(), e.meshId(), e.memberId(), e.presenceId(), e.target(), e.toSelf(),
                e.message(), deliverAtMs, e.cron(), e.subtype(), firedCount, e.createdAtMs(), pending, false);
    }

    synchronized ScheduledMessage row(String id) {
        return rows.get(id);
    }

    synchronized int size() {
        return rows.size();
    }
}
