package dev.claudemesh.broker.core.mesh;

import dev.claudemesh.broker.core.BrokerMetrics;
import dev.claudemesh.broker.core.BrokerSettings;
import dev.claudemesh.broker.core.Clock;
import dev.claudemesh.broker.core.envelope.Frames;
import dev.claudemesh.broker.core.model.RecentSend;
import dev.claudemesh.broker.core.model.StoredMessage;
import dev.claudemesh.broker.core.port.DurableLog;
import dev.claudemesh.broker.core.port.LoopProvider;
import dev.claudemesh.broker.core.port.MemberDirectory;
import dev.claudemesh.broker.core.port.PayloadAllocator;
import dev.claudemesh.broker.core.port.PeerConnection;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The broker's domain entry point. The transport calls {@link #open} per accepted WebSocket and feeds the
 * returned {@link PeerSession}; admin and hook routes call the other methods. Thread-safe: mesh state lives on
 * the mesh's loop (chosen by {@link LoopProvider}), and every method here hops onto it.
 *
 * <p>Message types are served by {@link MeshService}s: the core's own ({@link CoreService}) and those given to the
 * constructor, the one place where a feature is plugged in. Their blocking storage calls run on the {@code storage}
 * executor, serialised per mesh.</p>
 */
public final class Broker {

    final BrokerSettings settings;
    final Clock clock;
    final LoopProvider loops;
    final MemberDirectory directory;
    final DurableLog durable;
    final BrokerMetrics metrics;
    final Authenticator authenticator;
    final HookIndex hooks;
    final HandlerRegistry registry;
    final Executor storage;
    final UnknownTypes unknownTypes;
    /** Where a routed DM's nonce and ciphertext live ({@link #usePayloads}); the heap unless the transport pools. */
    private volatile PayloadAllocator payloads = PayloadAllocator.HEAP;
    private final ConcurrentHashMap<String, MeshState> meshes = new ConcurrentHashMap<>();
    /** Meshes the operator deleted while this broker ran (ids are never reused): their hellos are refused. */
    private final Set<String> deletedMeshes = ConcurrentHashMap.newKeySet();

    /** A broker serving the core protocol only (no mesh services, hence no storage executor). */
    public Broker(BrokerSettings settings, Clock clock, LoopProvider loops, MemberDirectory directory,
                  DurableLog durable, BrokerMetrics metrics) {
        this(settings, clock, loops, directory, durable, metrics, NO_STORAGE, List.of());
    }

    /**
     * A broker serving the core protocol and {@code services}.
     *
     * @param storage  runs the services' blocking store calls (JDBC), never on an event loop
     * @param services the mesh features, each registering its message types (no type twice)
     * @throws IllegalArgumentException when two services register the same type
     */
    public Broker(BrokerSettings settings, Clock clock, LoopProvider loops, MemberDirectory directory,
                  DurableLog durable, BrokerMetrics metrics, Executor storage, List<MeshService<?>> services) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.loops = Objects.requireNonNull(loops, "loops");
        this.directory = Objects.requireNonNull(directory, "directory");
        this.durable = Objects.requireNonNull(durable, "durable");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.storage = Objects.requireNonNull(storage, "storage");
        List<MeshService<?>> all = new ArrayList<>();
        all.add(CoreService.INSTANCE);
        all.addAll(services);
        this.registry = new HandlerRegistry(all, metrics);
        this.unknownTypes = new UnknownTypes(metrics);
        this.authenticator = new Authenticator(this);
        this.hooks = new HookIndex(clock, settings.pendingHookMs(), settings.hookRateLimitPerMin());
    }

    /** The storage executor of a broker without services: nothing may need it. */
    private static final Executor NO_STORAGE = task -> {
        throw new RejectedExecutionException("this broker has no storage executor (it was built without services)");
    };

    public BrokerSettings settings() {
        return settings;
    }

    /**
     * Makes routed DMs keep their nonce and ciphertext in {@code allocator}'s payloads (a pool off the heap); call
     * before the first peer connects. The durable log must then release an {@code EnqueueMessage}'s payload once
     * done with it ({@link dev.claudemesh.broker.core.port.DurableLog}).
     */
    public Broker usePayloads(PayloadAllocator allocator) {
        this.payloads = Objects.requireNonNull(allocator, "allocator");
        return this;
    }

    PayloadAllocator payloads() {
        return payloads;
    }

    public BrokerMetrics metrics() {
        return metrics;
    }

    public HookIndex hooks() {
        return hooks;
    }

    /** Restores undelivered DMs loaded from the database at boot, into their meshes' queues. */
    public void restore(List<StoredMessage> pending) {
        for (StoredMessage m : pending) {
            MeshState mesh = mesh(m.meshId());
            mesh.loop.execute(() -> mesh.restore(m));
        }
    }

    /**
     * Restores the idempotency window from sends committed before a restart (oldest first), so that a client that
     * repeats a send it got no ack for gets the first ack again instead of a second message.
     */
    public void restoreRecentSends(List<RecentSend> sends) {
        for (RecentSend r : sends) {
            MeshState mesh = mesh(r.meshId());
            mesh.loop.execute(() -> mesh.restoreRecentSend(r));
        }
    }

    /**
     * Creates, at boot, the state of every mesh a service needs at once ({@link MeshService#bootMeshIds}), so that
     * its timers run before anyone connects. Blocking (the services read their stores); returns the number of
     * meshes.
     */
    public int openBootMeshes() {
        Set<String> ids = new LinkedHashSet<>();
        for (MeshService<?> s : registry.services()) {
            ids.addAll(s.bootMeshIds());
        }
        for (String id : ids) {
            mesh(id);
        }
        return ids.size();
    }

    /** A new socket: returns its session, to be fed frames in order on the socket's thread. */
    public PeerSession open(PeerConnection conn) {
        metrics.connectionsActive.incrementAndGet();
        return new PeerSession(this, conn);
    }

    MeshState mesh(String meshId) {
        MeshState m = meshes.get(meshId);
        if (m != null) {
            return m;
        }
        return meshes.computeIfAbsent(meshId, id -> {
            MeshState created = new MeshState(this, id, loops.loopFor(id));
            // the mesh's first task: every later one (registration, frames, restores) finds its services' state
            created.loop.execute(created::start);
            return created;
        });
    }

    MeshState existingMesh(String meshId) {
        return meshId == null ? null : meshes.get(meshId);
    }

    /** Capacity pre-check from a socket thread; the mesh loop re-checks when registering. */
    boolean atCapacity(String meshId, String sessionPubkey) {
        MeshState m = meshes.get(meshId);
        if (m == null) {
            return false;
        }
        return m.leases.atCapacity(settings.maxConnectionsPerMesh(), sessionPubkey);
    }

    /** The {@code peers_list} peers array of a mesh, as JSON bytes (admin API). */
    public CompletableFuture<byte[]> peersJson(String meshId) {
        MeshState m = meshes.get(meshId);
        if (m == null) {
            return CompletableFuture.completedFuture("[]".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        CompletableFuture<byte[]> f = new CompletableFuture<>();
        m.loop.execute(() -> f.complete(m.peersJson()));
        return f;
    }

    /**
     * Runs {@code task} on {@code meshId}'s loop with the per-mesh state of the service whose state is a
     * {@code stateType}: a service's HTTP routes (PROTOCOL-MESH §8.10) go through the mesh loop like its WebSocket
     * frames, so both see one order. The mesh is brought into memory when it is not yet. {@code task} gets null when
     * no service keeps such a state. Any thread.
     */
    public <S> void onMesh(String meshId, Class<S> stateType, Consumer<S> task) {
        Objects.requireNonNull(meshId, "meshId");
        Objects.requireNonNull(stateType, "stateType");
        Objects.requireNonNull(task, "task");
        if (deletedMeshes.contains(meshId)) {
            loops.loopFor(meshId).execute(() -> task.accept(null));
            return;
        }
        MeshState m = mesh(meshId);
        m.loop.execute(() -> task.accept(m.serviceState(stateType)));
    }

    /** True when the operator deleted {@code meshId} while this broker ran. */
    boolean isDeleted(String meshId) {
        return deletedMeshes.contains(meshId);
    }

    /**
     * The operator deleted the mesh (after the commit that removed its rows): its members' cached lookups are dropped,
     * later hellos are refused, and on its loop every lease ends (close 4002 {@code mesh_deleted}), the DMs held are
     * dropped, peer watchers are told and the mesh's timers stop; then its state is forgotten. Completes once that ran
     * (at once when the mesh was not in memory).
     */
    public CompletableFuture<Void> meshDeleted(String meshId, Collection<String> memberPubkeys) {
        Objects.requireNonNull(meshId, "meshId");
        Objects.requireNonNull(memberPubkeys, "memberPubkeys");
        deletedMeshes.add(meshId);
        for (String key : memberPubkeys) {
            directory.invalidate(meshId, key);
        }
        MeshState m = meshes.remove(meshId);
        if (m == null) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        m.loop.execute(() -> {
            try {
                m.delete();
                done.complete(null);
            } catch (RuntimeException e) {
                done.completeExceptionally(e);
            }
        });
        return done;
    }

    /**
     * Live leases (socket attached) per mesh in memory, by mesh id, read on each mesh's loop (admin API). Meshes not in
     * memory have none and are absent.
     */
    public CompletableFuture<Map<String, Integer>> livePeerCounts() {
        Map<String, Integer> counts = new ConcurrentHashMap<>();
        List<CompletableFuture<Void>> all = new ArrayList<>();
        for (MeshState m : meshes.values()) {
            CompletableFuture<Void> f = new CompletableFuture<>();
            all.add(f);
            m.loop.execute(() -> {
                counts.put(m.meshId, m.leaseCounts()[0]);
                f.complete(null);
            });
        }
        return CompletableFuture.allOf(all.toArray(new CompletableFuture<?>[0])).thenApply(v -> counts);
    }

    /** What the mesh's DM queues hold, read on its loop ({@link QueueStats#EMPTY} when it is not in memory). */
    public CompletableFuture<QueueStats> queueStats(String meshId) {
        MeshState m = meshes.get(meshId);
        if (m == null) {
            return CompletableFuture.completedFuture(QueueStats.EMPTY);
        }
        CompletableFuture<QueueStats> f = new CompletableFuture<>();
        m.loop.execute(() -> f.complete(m.queueStats()));
        return f;
    }

    /**
     * The operator kicks a member (admin API): its session leases end 4001 {@code kicked} (audited
     * {@code member_kicked}, as a mesh admin's {@code kick}); control-plane leases are spared. Completes with
     * {kicked, spared}; {0, 0} when the mesh is not in memory.
     */
    public CompletableFuture<int[]> kickMember(String meshId, String memberId) {
        MeshState m = meshes.get(meshId);
        if (m == null) {
            return CompletableFuture.completedFuture(new int[] {0, 0});
        }
        CompletableFuture<int[]> f = new CompletableFuture<>();
        m.loop.execute(() -> f.complete(m.kickMember(memberId)));
        return f;
    }

    /** Meshes held in memory (admin API). */
    public int meshesInMemory() {
        return meshes.size();
    }

    /**
     * Registers {@code watcher} for the mesh's peers ({@link PeerWatcher}): it gets the array at once on the mesh's
     * loop, then each change. A deleted mesh tells it {@link PeerWatcher#meshDeleted} instead. Any thread.
     */
    public void watchPeers(String meshId, PeerWatcher watcher) {
        Objects.requireNonNull(watcher, "watcher");
        if (deletedMeshes.contains(meshId)) {
            loops.loopFor(meshId).execute(watcher::meshDeleted);
            return;
        }
        MeshState m = mesh(meshId);
        m.loop.execute(() -> {
            if (m.deleted()) {
                watcher.meshDeleted();
            } else {
                m.peerWatch.add(watcher);
            }
        });
    }

    /** Forgets {@code watcher} (its client left). Any thread. */
    public void unwatchPeers(String meshId, PeerWatcher watcher) {
        MeshState m = meshes.get(meshId);
        if (m != null) {
            m.loop.execute(() -> m.peerWatch.remove(watcher));
        }
    }

    /** Closes (4002 banned) and removes the leases of a member just revoked; drops its cached lookup. */
    public void revoked(String meshId, String memberId, String memberPubkey) {
        directory.invalidate(meshId, memberPubkey);
        MeshState m = meshes.get(meshId);
        if (m != null) {
            m.loop.execute(() -> m.revoke(memberId));
        }
    }

    /** A member was enrolled: forget any cached "no such member" so it can connect at once. */
    public void memberAdded(String meshId, String memberPubkey) {
        directory.invalidate(meshId, memberPubkey);
    }

    /**
     * A member's persistent profile changed (the member API, PROTOCOL-MESH §3.6): drops its cached lookup, so that its
     * next hello sees the change, and pushes the system event {@code profile_updated} with {@code changes} as its
     * {@code eventData} to every live lease of the member.
     */
    public void memberProfileUpdated(String meshId, String memberId, String memberPubkey,
                                     Frames.EventData changes) {
        Objects.requireNonNull(changes, "changes");
        directory.invalidate(meshId, memberPubkey);
        MeshState m = meshes.get(meshId);
        if (m != null) {
            m.loop.execute(() -> m.pushToMember(memberId, m.core.systemEvent("profile_updated", changes)));
        }
    }

    /** The number of leases (live and grace) of each member of a mesh, by member id; empty when none. */
    public CompletableFuture<Map<String, Integer>> leaseCounts(String meshId) {
        MeshState m = meshes.get(meshId);
        if (m == null) {
            return CompletableFuture.completedFuture(Map.of());
        }
        CompletableFuture<Map<String, Integer>> f = new CompletableFuture<>();
        m.loop.execute(() -> {
            Map<String, Integer> counts = new HashMap<>();
            for (Lease l : m.leases.all()) {
                counts.merge(l.member.id(), 1, Integer::sum);
            }
            f.complete(counts);
        });
        return f;
    }

    /** Number of undelivered DMs held in memory across meshes (approximate while traffic runs). */
    public long queuedMessages() {
        return metrics.queueDepth.get();
    }

    /** Closes every socket 1001 and marks every presence disconnected; waits up to {@code timeoutMs}. */
    public boolean shutdown(long timeoutMs) {
        List<MeshState> all = new ArrayList<>(meshes.values());
        CountDownLatch done = new CountDownLatch(all.size());
        for (MeshState m : all) {
            m.loop.execute(() -> {
                try {
                    m.shutdown();
                } finally {
                    done.countDown();
                }
            });
        }
        try {
            return done.await(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
