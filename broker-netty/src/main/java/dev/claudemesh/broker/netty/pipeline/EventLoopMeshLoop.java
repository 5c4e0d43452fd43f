package dev.claudemesh.broker.netty.pipeline;

import dev.claudemesh.broker.core.port.Fanout;
import dev.claudemesh.broker.core.port.LoopProvider;
import dev.claudemesh.broker.core.port.MeshLoop;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A {@link MeshLoop} over a Netty event loop: mesh state shares the loops that serve the sockets. Thread-safe, except
 * {@link #fanout()}, whose batch belongs to the loop.
 */
public final class EventLoopMeshLoop implements MeshLoop {

    private final EventLoop loop;
    /** The loop's reused fan-out batch; confined to the loop. */
    private final NettyFanout fanout = new NettyFanout();

    public EventLoopMeshLoop(EventLoop loop) {
        this.loop = loop;
    }

    @Override
    public void execute(Runnable task) {
        loop.execute(task);
    }

    @Override
    public Cancellable schedule(Runnable task, long delayMs) {
        ScheduledFuture<?> f = loop.schedule(task, delayMs, TimeUnit.MILLISECONDS);
        return () -> f.cancel(false);
    }

    @Override
    public Cancellable scheduleAtFixedRate(Runnable task, long periodMs) {
        ScheduledFuture<?> f = loop.scheduleAtFixedRate(() -> {
            try {
                task.run();
            } catch (RuntimeException e) {
                org.slf4j.LoggerFactory.getLogger(EventLoopMeshLoop.class).error("periodic mesh task failed", e);
            }
        }, periodMs, periodMs, TimeUnit.MILLISECONDS);
        return () -> f.cancel(false);
    }

    @Override
    public boolean inLoop() {
        return loop.inEventLoop();
    }

    /** The loop's batching {@link NettyFanout}; off the loop (no caller does that) frames are sent one by one. */
    @Override
    public Fanout fanout() {
        return loop.inEventLoop() ? fanout.begin() : Fanout.DIRECT;
    }

    /** Hashes a mesh id onto one of the group's loops; the same id always gets the same loop. */
    public static LoopProvider provider(EventLoopGroup group) {
        List<EventLoopMeshLoop> loops = new ArrayList<>();
        for (EventExecutor e : group) {
            loops.add(new EventLoopMeshLoop((EventLoop) e));
        }
        EventLoopMeshLoop[] arr = loops.toArray(new EventLoopMeshLoop[0]);
        return meshId -> arr[(meshId.hashCode() & 0x7fffffff) % arr.length];
    }
}
