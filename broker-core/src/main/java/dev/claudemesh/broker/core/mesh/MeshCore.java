package dev.claudemesh.broker.core.mesh;

import dev.claudemesh.broker.core.BrokerMetrics;
import dev.claudemesh.broker.core.BrokerSettings;
import dev.claudemesh.broker.core.Clock;
import dev.claudemesh.broker.core.audit.AuditEvent;
import dev.claudemesh.broker.core.envelope.Frames;
import dev.claudemesh.broker.core.envelope.Inbound;
import dev.claudemesh.broker.core.port.MeshLoop;

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

    private final String meshId;
    private final MeshLoop loop;
    private final BrokerSettings settings;
    private final BrokerMetrics metrics;
    private final Clock clock;
    private final SerialExecutor storage;

    final LeaseTable leases = new LeaseTable();
    final DmQueues queues;
    final IdempotencyWindow idempotency;
    final StatusRules statusRules;
    final RateLimits rateLimits;
    final Journal journal;
    final LeaseLifecycle lifecycle;

    MeshCore(Broker broker, MeshState mesh, String meshId, MeshLoop loop) {
        this.meshId = meshId;
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
    public void audit(String actorId, AuditEvent event) {
        journal.audit(actorId, event, nowMs());
    }

    @Override
    public void error(PeerSession to, Inbound request, String code, String message) {
        metrics.requestError(request.rawType == null ? UnknownTypes.OTHER : request.rawType, code);
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
