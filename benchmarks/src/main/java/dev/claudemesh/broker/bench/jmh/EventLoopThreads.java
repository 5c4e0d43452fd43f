package dev.claudemesh.broker.bench.jmh;

import io.netty.util.concurrent.DefaultThreadFactory;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * JMH's worker threads as Netty's {@code FastThreadLocalThread}s, the kind of thread the broker's mesh loops run on:
 * there the pool's buffer objects are recycled per thread, on a plain thread they are not (measured: ~12 against
 * ~116 bytes of heap per pooled buffer allocated and released). Plugged in with
 * {@code -Djmh.executor=CUSTOM -Djmh.executor.class=dev.claudemesh.broker.bench.jmh.EventLoopThreads} (JMH's custom
 * executor: a constructor taking the thread count and a name prefix), which {@link MeshLoopDmBenchmark} sets on its
 * fork.
 */
public final class EventLoopThreads extends ThreadPoolExecutor {

    public EventLoopThreads(int maxThreads, String prefix) {
        super(maxThreads, maxThreads, 1, TimeUnit.MINUTES, new LinkedBlockingQueue<>(),
                new DefaultThreadFactory(prefix, true));
    }
}
