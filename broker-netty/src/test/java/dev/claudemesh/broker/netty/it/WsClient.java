package dev.claudemesh.broker.netty.it;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A real WebSocket client for integration tests (the JDK's {@link java.net.http.WebSocket}): records every text
 * message and the close code/reason; tests wait for frames with bounded timeouts.
 */
public final class WsClient implements AutoCloseable {

    private final List<String> received = new ArrayList<>();
    private final List<Boolean> consumed = new ArrayList<>();
    private final CompletableFuture<int[]> closeCode = new CompletableFuture<>();
    private volatile String closeReason;
    private final WebSocket ws;
    private final StringBuilder partial = new StringBuilder();

    private WsClient(URI uri) {
        this.ws = HttpClient.newHttpClient().newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5))
                .buildAsync(uri, new Listener()).orTimeout(10, TimeUnit.SECONDS).join();
    }

    public static WsClient connect(int port) {
        return new WsClient(URI.create("ws://127.0.0.1:" + port + "/ws"));
    }

    public static WsClient connect(URI uri) {
        return new WsClient(uri);
    }

    private final class Listener implements WebSocket.Listener {
        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                synchronized (WsClient.this) {
                    received.add(partial.toString());
                    consumed.add(false);
                    WsClient.this.notifyAll();
                }
                partial.setLength(0);
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closeReason = reason;
            closeCode.complete(new int[] {statusCode});
            synchronized (WsClient.this) {
                WsClient.this.notifyAll();
            }
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            closeCode.complete(new int[] {-1});
            synchronized (WsClient.this) {
                WsClient.this.notifyAll();
            }
        }
    }

    public void send(String json) {
        ws.sendText(json, true).orTimeout(5, TimeUnit.SECONDS).join();
    }

    public WebSocket raw() {
        return ws;
    }

    /** Waits for the next unconsumed frame matching {@code p} (and consumes it). */
    public synchronized String await(Predicate<String> p, long timeoutMs) {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (true) {
            for (int i = 0; i < received.size(); i++) {
                if (!consumed.get(i) && p.test(received.get(i))) {
                    consumed.set(i, true);
                    return received.get(i);
                }
            }
            long left = deadline - System.currentTimeMillis();
            if (left <= 0) {
                throw new AssertionError("no matching frame within " + timeoutMs + " ms; received: " + received);
            }
            try {
                wait(left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    public String await(String contains) {
        return await(s -> s.contains(contains), 5_000);
    }

    /** Waits for the next frame of {@code type}. */
    public String awaitType(String type) {
        return await(s -> s.contains("\"type\":\"" + type + "\""), 5_000);
    }

    /** All frames received so far whose text contains {@code needle}, consumed or not. */
    public synchronized List<String> all(String needle) {
        List<String> out = new ArrayList<>();
        for (String s : received) {
            if (s.contains(needle)) {
                out.add(s);
            }
        }
        return out;
    }

    /** Waits for the close and returns its code (-1 on an abrupt end). */
    public int awaitClose(long timeoutMs) {
        return closeCode.orTimeout(timeoutMs, TimeUnit.MILLISECONDS).join()[0];
    }

    public String closeReason() {
        return closeReason;
    }

    public boolean closed() {
        return closeCode.isDone();
    }

    @Override
    public void close() {
        if (!closeCode.isDone()) {
            try {
                ws.sendClose(1000, "bye").orTimeout(2, TimeUnit.SECONDS).join();
            } catch (RuntimeException ignored) {
                // already gone
            }
            ws.abort();
        }
    }

    /** Drops the TCP connection without a close handshake. */
    public void abort() {
        ws.abort();
    }
}
