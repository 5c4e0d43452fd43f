package dev.claudemesh.broker.netty.it;

import dev.claudemesh.broker.core.crypto.Ed25519;
import dev.claudemesh.broker.core.testing.Identities;

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

import static dev.claudemesh.broker.netty.it.BrokerFixture.jsonField;

/**
 * A session peer for load and fault tests (the JDK's {@link WebSocket}, like {@link WsClient}, but built for
 * thousands of frames): hands acks and DM pushes to a {@link DeliveryLedger} as they arrive instead of keeping every
 * frame, answers each DM push with a {@code client_ack} as the CLI does, and keeps multicast pushes apart. Sends are
 * chained so that any thread may send without waiting (the JDK socket allows one outstanding send).
 */
final class LoadPeer implements AutoCloseable {

    private final DeliveryLedger ledger;
    private final Ed25519.KeyPair sessionKeys;
    private final CompletableFuture<String> helloReply = new CompletableFuture<>();
    private final CompletableFuture<Integer> closed = new CompletableFuture<>();
    private final List<String> multicastIds = new ArrayList<>();
    private final StringBuilder partial = new StringBuilder();
    private final Object sendLock = new Object();
    private CompletableFuture<?> lastSend = CompletableFuture.completedFuture(null);
    private volatile String closeReason;
    private final WebSocket ws;

    private LoadPeer(URI uri, DeliveryLedger ledger, Ed25519.KeyPair sessionKeys) {
        this.ledger = ledger;
        this.sessionKeys = sessionKeys;
        this.ws = HttpClient.newHttpClient().newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5))
                .buildAsync(uri, new Listener()).orTimeout(10, TimeUnit.SECONDS).join();
    }

    /** Connects to {@code port} and completes a {@code session_hello} for {@code member} with {@code sessionKeys}. */
    static LoadPeer connect(int port, DeliveryLedger ledger, Identities.MemberKeys member, Ed25519.KeyPair sessionKeys,
                            String sessionId, String groupsJson) {
        LoadPeer p = new LoadPeer(URI.create("ws://127.0.0.1:" + port + "/ws"), ledger, sessionKeys);
        p.send(Identities.sessionHello(member, sessionKeys, sessionId, System.currentTimeMillis(), 3_600_000,
                "load-" + sessionId, groupsJson));
        String reply = p.helloReply.orTimeout(10, TimeUnit.SECONDS).join();
        if (!reply.contains("\"type\":\"hello_ack\"")) {
            p.abort();
            throw new AssertionError("session_hello of " + sessionId + " failed: " + reply);
        }
        return p;
    }

    String key() {
        return sessionKeys.publicKeyHex();
    }

    /** Queues {@code json} after the previous sends; returns when it is handed to the socket or after 10 s. */
    CompletableFuture<?> send(String json) {
        synchronized (sendLock) {
            CompletableFuture<?> next = lastSend.handle((r, e) -> null)
                    .thenCompose(x -> ws.sendText(json, true));
            lastSend = next;
            return next;
        }
    }

    /** Sends a new DM of the ledger to {@code target}. */
    void sendDm(String target) {
        send(ledger.newDm(key(), target));
    }

    /** Client message ids of the multicast pushes received so far. */
    List<String> multicastIds() {
        synchronized (multicastIds) {
            return new ArrayList<>(multicastIds);
        }
    }

    boolean isClosed() {
        return closed.isDone();
    }

    /** The close code once closed (-1 for an abrupt end), waiting at most {@code timeoutMs}. */
    int awaitClose(long timeoutMs) {
        return closed.orTimeout(timeoutMs, TimeUnit.MILLISECONDS).join();
    }

    String closeReason() {
        return closeReason;
    }

    private void onMessage(String frame) {
        long nowMs = System.currentTimeMillis();
        long nowNanos = System.nanoTime();
        if (frame.contains("\"type\":\"ack\"")) {
            ledger.onAck(frame, nowMs, nowNanos);
        } else if (frame.contains("\"type\":\"push\"")) {
            if (frame.contains("\"subtype\":\"system\"")) {
                return;
            }
            String cid = jsonField(frame, "client_message_id");
            if (frame.contains("\"senderMemberPubkey\"")) {
                synchronized (multicastIds) {
                    multicastIds.add(cid);
                }
                return;
            }
            ledger.onPush(key(), frame);
            send("{\"type\":\"client_ack\",\"clientMessageId\":\"" + cid + "\",\"brokerMessageId\":\""
                    + jsonField(frame, "messageId") + "\"}");
        } else if (!helloReply.isDone() && (frame.contains("\"type\":\"hello_ack\"")
                || frame.contains("\"type\":\"error\""))) {
            helloReply.complete(frame);
        }
    }

    private final class Listener implements WebSocket.Listener {
        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                String frame = partial.toString();
                partial.setLength(0);
                onMessage(frame);
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
            closed.complete(statusCode);
            helloReply.complete("closed " + statusCode + " " + reason);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            closed.complete(-1);
            helloReply.complete("error " + error);
        }
    }

    /** Drops the TCP connection without a close handshake (what a crashed client, or a killed broker, leaves). */
    void abort() {
        ws.abort();
        closed.complete(-1);
    }

    @Override
    public void close() {
        if (!closed.isDone()) {
            try {
                ws.sendClose(1000, "bye").orTimeout(2, TimeUnit.SECONDS).join();
            } catch (RuntimeException ignored) {
                // already gone
            }
        }
        ws.abort();
    }
}
