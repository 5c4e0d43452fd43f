package dev.claudemesh.broker.core.mesh;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The live and grace leases of one mesh, indexed by presence id (in connection order), by session key and by member
 * key. <b>Thread:</b> the mesh loop reads and changes it; the only members other threads may use are
 * {@link #atCapacity}, which reads atomic mirrors of the lease count and the session keys so that a socket thread
 * can pre-check capacity before the mesh loop re-checks it (PROTOCOL §3 check order).
 *
 * <p>Services read it through {@link MeshContext#leases()}; only the lease lifecycle adds and removes.</p>
 */
public final class LeaseTable {

    /** Live and grace leases in connection order. */
    private final LinkedHashMap<String, Lease> leaseByPresenceId = new LinkedHashMap<>();
    private final HashMap<String, Lease> leaseBySessionKey = new HashMap<>();
    private final HashMap<String, List<Lease>> leasesByMemberKey = new HashMap<>();
    private final Collection<Lease> all = Collections.unmodifiableCollection(leaseByPresenceId.values());
    /** Mirrors for lock-free capacity pre-checks from socket threads. */
    private final AtomicInteger leaseCount = new AtomicInteger();
    private final Set<String> sessionKeys = ConcurrentHashMap.newKeySet();

    LeaseTable() {
    }

    /** Every live and grace lease, in connection order (a read-only view; do not hold it across loop turns). */
    public Collection<Lease> all() {
        return all;
    }

    /** Number of leases, grace leases included (what counts toward capacity). */
    public int size() {
        return leaseByPresenceId.size();
    }

    public Lease byPresenceId(String presenceId) {
        return leaseByPresenceId.get(presenceId);
    }

    /** The lease holding {@code sessionPubkey}, or null. */
    public Lease bySessionKey(String sessionPubkey) {
        return sessionPubkey == null ? null : leaseBySessionKey.get(sessionPubkey);
    }

    /** The leases of the member with key {@code memberPubkey} (read-only; empty when none). */
    public List<Lease> ofMember(String memberPubkey) {
        List<Lease> l = leasesByMemberKey.get(memberPubkey);
        return l == null ? List.of() : Collections.unmodifiableList(l);
    }

    /** The lease that member-key DMs go to: a live lease without a session key first, else a live session. */
    Lease preferredLease(String memberPubkey) {
        List<Lease> leases = leasesByMemberKey.get(memberPubkey);
        if (leases == null) {
            return null;
        }
        Lease session = null;
        for (int i = 0; i < leases.size(); i++) {
            Lease l = leases.get(i);
            if (!l.live) {
                continue;
            }
            if (l.sessionPubkey == null) {
                return l;
            }
            if (session == null) {
                session = l;
            }
        }
        return session;
    }

    void add(Lease l) {
        leaseByPresenceId.put(l.presenceId, l);
        if (l.sessionPubkey != null) {
            leaseBySessionKey.put(l.sessionPubkey, l);
            sessionKeys.add(l.sessionPubkey);
        }
        leasesByMemberKey.computeIfAbsent(l.member.pubkey(), k -> new ArrayList<>(2)).add(l);
        leaseCount.incrementAndGet();
    }

    /** Removes {@code l} from every index; false when it was not in the table. */
    boolean remove(Lease l) {
        if (leaseByPresenceId.remove(l.presenceId) == null) {
            return false;
        }
        if (l.sessionPubkey != null && leaseBySessionKey.get(l.sessionPubkey) == l) {
            leaseBySessionKey.remove(l.sessionPubkey);
            sessionKeys.remove(l.sessionPubkey);
        }
        List<Lease> ml = leasesByMemberKey.get(l.member.pubkey());
        if (ml != null) {
            ml.remove(l);
            if (ml.isEmpty()) {
                leasesByMemberKey.remove(l.member.pubkey());
            }
        }
        leaseCount.decrementAndGet();
        return true;
    }

    /**
     * Capacity pre-check, callable from any thread: true when the mesh holds {@code max} leases or more and
     * {@code sessionPubkey} (nullable) is not already one of them (a reattach takes its own lease over, so it needs
     * no room). Approximate while the mesh loop changes the table; the loop re-checks when registering.
     */
    boolean atCapacity(int max, String sessionPubkey) {
        if (sessionPubkey != null && sessionKeys.contains(sessionPubkey)) {
            return false;
        }
        return leaseCount.get() >= max;
    }
}
