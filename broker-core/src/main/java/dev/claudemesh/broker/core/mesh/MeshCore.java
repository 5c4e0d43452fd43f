package dev.claudemesh.broker.core.mesh;

import dev.claudemesh.broker.core.BrokerMetrics;
import dev.claudemesh.broker.core.BrokerSettings;
import dev.claudemesh.broker.core.Clock;
import dev.claudemesh.broker.core.audit.AuditEvent;
import dev.claudemesh.broker.core.envelope.Frames;
import dev.claudemesh.broker.core.envelope.Inbound;
import dev.claudemesh.broker.core.model.Member;
import dev.claudemesh.broker.core.port.Fanout;
import dev.claudemesh.broker.core.port.MeshLoop;
import dev.claudemesh.broker.core.port.PayloadAllocator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.BiConsumer;

/**
 * The core's state of one mesh, assembled from its parts (lease table, lease lifecycle, DM queues, idempotency window,
 * status rules, rate limits, journal), and the {@link MeshContext} that services get. It is also the per-mesh state
 * of the core's own handlers ({@link CoreService}). <b>Thread:</b> the mesh loop, except {@link #storage} and
 * {@link #onLoop}.
 */
final class MeshCore implements MeshContext {

    private static final Logger log = LoggerFactory.getLogger(MeshCore.class);

    private final String meshId;
    private final MeshLoop loop;
    private final BrokerSettings settings;
    private final BrokerMetrics metrics;
    private final Clock clock;
    private final SerialExecutor storage;
    private final Broker broker;
    /** The façade, for the hand-over of topic sends to their service. */
    private final MeshState mesh;

    final LeaseTable leases = new LeaseTable();
    final DmQueues queues;
    final IdempotencyWindow idempotency;
    final StatusRules statusRules;
    final RateLimits rateLimits;
    final Journal journal;
    final LeaseLifecycle lifecycle;

    MeshCore(Broker broker, MeshState mesh, String meshId, MeshLoop loop) {
        this.meshId = meshId;
        this.broker = broker;
        this.mesh = mesh;
        this.loop = loop;
        this.settings = broker.settings;
        this.metrics = broker.metrics;
        this.clock = broker.clock;
        this.storage = new SerialExecutor(broker.storage);
        this.queues = new DmQueues(leases, metrics, settings.redeliveryMs());
        this.idempotency = new IdempotencyWindow(loop, settings.idempotencyWindowMs());
        this.statusRules = new StatusRules(settings.hookFreshWindowMs(), settings.statusTtlMs(), queues, metrics);
        this.rateLimits = new RateLimits(settings.sendRateLimitPerMin(), settings.sendRateBurst());
        this.journal = new Journal(meshId, broker.durable);
        this.lifecycle = new LeaseLifecycle(mesh, loop, settings.graceMs(), settings.maxConnectionsPerMesh(), metrics,
                broker.hooks, leases, queues, journal);
    }

    /** Where a routed DM's payload goes (the broker's allocator). */
    PayloadAllocator payloads() {
        return broker.payloads();
    }

    /** Hands a checked {@code #} send to the topic service; false when none serves topics. */
    boolean routeTopicSend(RoutedSend send) {
        return mesh.routeTopicSend(send);
    }

    @Override
    public String meshId() {
        return meshId;
    }

    @Override
    public MeshLoop loop() {
        return loop;
    }

    @Override
    public long nowMs() {
        return clock.millis();
    }

    @Override
    public BrokerSettings settings() {
        return settings;
    }

    @Override
    public BrokerMetrics metrics() {
        return metrics;
    }

    @Override
    public LeaseTable leases() {
        return leases;
    }

    @Override
    public void send(Lease to, byte[] frame) {
        PeerSession s = to.session;
        if (to.live && s != null) {
            s.conn.send(frame);
        }
    }

    @Override
    public void send(Fanout out, Lease to, byte[] frame) {
        PeerSession s = to.session;
        if (to.live && s != null) {
            out.send(s.conn, frame);
        }
    }

    @Override
    public void end(Lease lease, Ending ending) {
        Objects.requireNonNull(lease, "lease");
        Objects.requireNonNull(ending, "ending");
        if (!meshId.equals(lease.meshId())) {
            throw new IllegalArgumentException("lease: of mesh " + lease.meshId() + " (expected: mesh " + meshId + ")");
        }
        if (ending == Ending.SHUTDOWN) {
            throw new IllegalArgumentException("ending: SHUTDOWN (expected: an ending a service may cause)");
        }
        lifecycle.end(lease, ending, nowMs());
    }

    @Override
    public boolean send(Lease to, byte[] frame, Runnable onWritten) {
        PeerSession s = to.session;
        if (!to.live || s == null) {
            return false;
        }
        s.conn.send(frame, () -> {
            try {
                loop.execute(onWritten);
            } catch (RejectedExecutionException e) {
                // the broker is stopping: the mesh's state goes with it, nothing is left to account for
            }
        });
        return true;
    }

    @Override
    public byte[] systemEvent(String event, Frames.EventData eventData) {
        return journal.systemEvent(event, eventData, nowMs());
    }

    @Override
    public void sendOnBehalf(OnBehalfSend send, SendOutcome outcome) {
        Objects.requireNonNull(send, "send");
        Objects.requireNonNull(outcome, "outcome");
        Lease attached = send.presenceId() == null ? null : leases.byPresenceId(send.presenceId());
        if (attached != null && !attached.member.id().equals(send.memberId())) {
            attached = null; // never send as another member
        }
        Lease sender;
        if (attached != null) {
            sender = Lease.detached(attached.member, attached.sessionPubkey, attached.displayName);
        } else {
            List<Lease> ofMember = leases.ofMember(send.memberPubkey());
            // the member as the directory gave it to one of its leases; else as the caller knows it
            Member member = !ofMember.isEmpty() && ofMember.get(0).member.id().equals(send.memberId())
                    ? ofMember.get(0).member
                    : new Member(send.memberId(), meshId, null, send.memberPubkey(), send.memberName(), null,
                    List.of(), Map.of(), null, false);
            sender = Lease.detached(member, null, send.memberName());
        }
        Inbound in = new Inbound();
        in.type = Inbound.Type.SEND;
        in.rawType = "send";
        in.hasId = true;
        in.id = send.messageId();
        in.targetSpec = send.targetSpec();
        in.priority = send.priority().wire();
        in.nonce(new byte[0]);
        in.ciphertext(send.ciphertext());
        SendHandler.send(this, null, sender, in,
                new SendHandler.OnBehalf(send.messageId(), send.subtype(), send.toOwnMember(), outcome));
    }

    @Override
    public void audit(String actorId, AuditEvent event) {
        journal.audit(actorId, event, nowMs());
    }

    @Override
    public void error(PeerSession to, Inbound request, String code, String message) {
        String type = request.rawType == null ? UnknownTypes.OTHER : request.rawType;
        metrics.requestError(type, code);
        // one line per rejected request: its type and code only, never the message (it may quote the request)
        log.info("conn {} mesh {}: {} rejected: {}", to.conn.id(), meshId, UnknownTypes.printable(type), code);
        to.conn.send(Frames.error(code, message, request));
    }

    @Override
    public <T> CompletableFuture<T> storage(Callable<T> blockingCall) {
        CompletableFuture<T> f = new CompletableFuture<>();
        try {
            storage.execute(() -> {
                try {
                    f.complete(blockingCall.call());
                } catch (Throwable t) {
                    f.completeExceptionally(t);
                }
            });
        } catch (RejectedExecutionException e) {
            f.completeExceptionally(e);
        }
        return f;
    }

    @Override
    public <T> void onLoop(CompletionStage<T> stage, BiConsumer<? super T, ? super Throwable> continuation) {
        stage.whenComplete((value, error) -> loop.execute(() -> continuation.accept(value, error)));
    }
}
