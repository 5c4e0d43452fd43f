package dev.claudemesh.broker.core.mesh;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.claudemesh.broker.core.Clock;

import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Resolves editor-hook status signals ({@code POST /hook/set-status}, PROTOCOL §6) to leases across all meshes.
 * Thread-safe: the index is concurrent and written from mesh loops; a found lease's status is applied on its
 * own mesh loop. Pending statuses and rate-limit buckets live in Caffeine caches with expiry, so neither can
 * grow without bound.
 */
public final class HookIndex {

    private final ConcurrentHashMap<String, Set<Lease>> leasesByCwd = new ConcurrentHashMap<>();
    private final Cache<String, Status> pendingByPidCwd;
    private final Cache<String, TokenBucket> bucketByPidCwd;
    private final Clock clock;
    private final int ratePerMin;

    HookIndex(Clock clock, long pendingMs, int ratePerMin) {
        this.clock = clock;
        this.ratePerMin = ratePerMin;
        Ticker ticker = () -> TimeUnit.MILLISECONDS.toNanos(clock.millis());
        this.pendingByPidCwd = Caffeine.newBuilder().ticker(ticker).executor(Runnable::run)
                .expireAfterWrite(pendingMs, TimeUnit.MILLISECONDS).maximumSize(100_000).build();
        this.bucketByPidCwd = Caffeine.newBuilder().ticker(ticker).executor(Runnable::run)
                .expireAfterAccess(2, TimeUnit.MINUTES).maximumSize(100_000).build();
    }

    void indexLease(Lease l) {
        unindexLease(l);
        String cwd = l.cwd;
        if (cwd != null) {
            // add inside compute: a concurrent removal of an emptied set cannot orphan this lease
            leasesByCwd.compute(cwd, (k, set) -> {
                Set<Lease> s = set != null ? set : ConcurrentHashMap.newKeySet();
                s.add(l);
                return s;
            });
            l.indexedCwd = cwd;
        }
    }

    void unindexLease(Lease l) {
        String cwd = l.indexedCwd;
        if (cwd == null) {
            return;
        }
        l.indexedCwd = null;
        leasesByCwd.computeIfPresent(cwd, (k, set) -> {
            set.remove(l);
            return set.isEmpty() ? null : set;
        });
    }

    /** True when a request for this pid:cwd may proceed (token bucket); false means 429. */
    public boolean tryAcquire(String pidCwd) {
        if (ratePerMin <= 0) {
            return true;
        }
        TokenBucket b = bucketByPidCwd.get(pidCwd, k -> new TokenBucket(ratePerMin, ratePerMin, clock.millis()));
        synchronized (b) {
            return b.tryTake(clock.millis());
        }
    }

    /**
     * Applies {@code status} (idle|working|dnd) from a hook to the lease found by (cwd, pid), else the newest live
     * lease with that cwd; with none, remembers it for a lease that arrives soon. The future completes (on the
     * lease's mesh loop, or at once when pending) with what was done.
     */
    public CompletableFuture<HookResult> setStatus(String cwd, Long pid, String statusName) {
        Status status = Status.parse(statusName);
        if (status == null) {
            throw new IllegalArgumentException("status: " + statusName + " (expected: idle, working or dnd)");
        }
        Set<Lease> candidates = leasesByCwd.get(cwd);
        Lease chosen = null;
        if (candidates != null) {
            Lease newest = null;
            for (Lease l : candidates) {
                if (!l.live) {
                    continue;
                }
                if (pid != null && pid.equals(l.pid)) {
                    chosen = l;
                    break;
                }
                if (newest == null || l.connectedAtMs > newest.connectedAtMs) {
                    newest = l;
                }
            }
            if (chosen == null) {
                chosen = newest;
            }
        }
        if (chosen == null) {
            pendingByPidCwd.put(pid + ":" + cwd, status);
            return CompletableFuture.completedFuture(HookResult.Pending.INSTANCE);
        }
        Lease l = chosen;
        CompletableFuture<HookResult> f = new CompletableFuture<>();
        l.mesh.loop.execute(() -> {
            boolean changed = l.mesh.applyStatus(l, status, StatusSource.HOOK);
            f.complete(new HookResult.Applied(l.presenceId, changed));
        });
        return f;
    }

    /** On the lease's mesh loop: applies a remembered hook status for its (pid, cwd). */
    void applyPending(Lease l) {
        if (l.cwd == null) {
            return;
        }
        String key = l.pid + ":" + l.cwd;
        Status status = pendingByPidCwd.getIfPresent(key);
        if (status != null) {
            pendingByPidCwd.invalidate(key);
            l.mesh.applyStatus(l, status, StatusSource.HOOK);
        }
    }
}
