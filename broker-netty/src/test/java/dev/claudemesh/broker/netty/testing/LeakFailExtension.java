package dev.claudemesh.broker.netty.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Runs every test of this module with Netty's PARANOID leak detection and fails the test during (or after) which
 * a leak was reported. Registered for all tests through JUnit's extension auto-detection
 * ({@code META-INF/services} + {@code junit-platform.properties}), so it must install its detector factory before
 * any Netty buffer class is loaded — it does so in its static initialiser.
 */
public final class LeakFailExtension implements AfterEachCallback {

    private static final List<String> LEAKS = Collections.synchronizedList(new ArrayList<>());

    static {
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new ResourceLeakDetectorFactory() {
            @Override
            @SuppressWarnings("deprecation")
            public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval,
                                                                       long maxActive) {
                return new ResourceLeakDetector<T>(resource, samplingInterval) {
                    @Override
                    protected void reportTracedLeak(String resourceType, String records) {
                        LEAKS.add(resourceType + " leak:" + records);
                        super.reportTracedLeak(resourceType, records);
                    }

                    @Override
                    protected void reportUntracedLeak(String resourceType) {
                        LEAKS.add(resourceType + " leak (untraced)");
                        super.reportUntracedLeak(resourceType);
                    }
                };
            }
        });
    }

    /** Leaks reported so far (for tests of this extension). */
    public static List<String> leaks() {
        return LEAKS;
    }

    @Override
    public void afterEach(ExtensionContext context) {
        // leaks are found when a collected buffer's reference is polled during a later allocation
        for (int i = 0; i < 3; i++) {
            System.gc();
            ByteBuf a = PooledByteBufAllocator.DEFAULT.buffer(16);
            a.release();
            ByteBuf b = UnpooledByteBufAllocator.DEFAULT.buffer(16);
            b.release();
        }
        if (!LEAKS.isEmpty()) {
            List<String> copy = new ArrayList<>(LEAKS);
            LEAKS.clear();
            throw new AssertionError("Netty buffer leak(s) detected in " + context.getDisplayName() + ": " + copy);
        }
    }
}
