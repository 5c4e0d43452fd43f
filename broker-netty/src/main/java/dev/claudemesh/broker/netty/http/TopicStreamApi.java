package dev.claudemesh.broker.netty.http;

import dev.claudemesh.broker.core.Clock;
import dev.claudemesh.broker.core.envelope.JsonOut;
import dev.claudemesh.broker.core.mesh.Broker;
import dev.claudemesh.broker.core.topic.TopicMesh;
import dev.claudemesh.broker.core.topic.TopicStore;
import dev.claudemesh.broker.core.topic.TopicStreamSink;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.AsciiString;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static dev.claudemesh.broker.netty.http.ApiJson.done;

/**
 * {@code GET /api/v1/topics/{name}/stream} (PROTOCOL-MESH §8.10): the topic's messages as server-sent events,
 * pushed from the mesh loop as they are committed (no polling), whichever side posted them.
 * <ul>
 *   <li>{@code event: ready} first ({@code {topic, topicId, connectedAt}}), then one {@code event: message} per
 *       message with {@code id: <message id>} and the {@code /messages} row as data, and {@code event: heartbeat}
 *       (data: epoch ms) every {@code TOPIC_STREAM_HEARTBEAT_MS}.</li>
 *   <li>A client that reconnects with {@code Last-Event-ID} first gets every message after that one that is still in
 *       history, oldest first, then live ones, none twice ({@link TopicMesh#openStream}).</li>
 *   <li>Back-pressure: a client that reads slower than messages come is not buffered without bound. When what it has
 *       not taken would exceed {@code TOPIC_STREAM_MAX_PENDING_BYTES} the broker closes the stream (it can resume with
 *       {@code Last-Event-ID}, losing nothing still in history). A replay after {@code Last-Event-ID} paces itself
 *       instead: it writes while less than half of that is unread and waits for the socket otherwise.</li>
 *   <li>At most {@code TOPIC_STREAMS_MAX_PER_MESH} streams per mesh: 429 {@code too_many_streams} beyond.</li>
 * </ul>
 * Immutable; thread-safe.
 */
final class TopicStreamApi {

    private static final Logger log = LoggerFactory.getLogger(TopicStreamApi.class);
    private static final AsciiString EVENT_STREAM = AsciiString.cached("text/event-stream");
    private static final String LAST_EVENT_ID = "Last-Event-ID";

    private final Broker broker;
    private final TopicApi topics;
    private final ApiAuth auth;
    private final Clock clock;
    private final long heartbeatMs;
    private final long maxPendingBytes;

    TopicStreamApi(Broker broker, TopicApi topics, ApiAuth auth, Clock clock, long heartbeatMs, long maxPendingBytes) {
        this.broker = Objects.requireNonNull(broker, "broker");
        this.topics = Objects.requireNonNull(topics, "topics");
        this.auth = Objects.requireNonNull(auth, "auth");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.heartbeatMs = heartbeatMs;
        this.maxPendingBytes = maxPendingBytes;
    }

    void stream(HttpExchange x) {
        String name = TopicApi.topicName(x);
        String lastEventId = x.header(LAST_EVENT_ID);
        auth.call(x, "api topic stream", key -> {
            TopicApi.Checked c = topics.check(key, "read", name);
            if (c.refusal() != null) {
                return done(c.refusal());
            }
            // completes only with a refusal: an open stream is the answer, sent from the mesh loop below
            CompletableFuture<Answer> refused = new CompletableFuture<>();
            broker.onMesh(key.meshId(), TopicMesh.class, mesh -> {
                if (mesh == null || !mesh.acceptsStream()) {
                    log.info("topic stream refused in mesh {}: too_many_streams", key.meshId());
                    refused.complete(ApiJson.error(HttpResponseStatus.TOO_MANY_REQUESTS, "too_many_streams"));
                    return;
                }
                open(x, mesh, key.meshId(), c.topic(), name, lastEventId);
            });
            return refused;
        });
    }

    /** On the mesh loop, in one task: the head and {@code ready} go out before any message can. */
    private void open(HttpExchange x, TopicMesh mesh, String meshId, TopicStore.Topic topic, String name,
                      String lastEventId) {
        ResponseStream out = x.stream(HttpResponseStatus.OK, EVENT_STREAM);
        Sink sink = new Sink(out, maxPendingBytes);
        JsonOut ready = new JsonOut(160).beginObject().field("topic", name).field("topicId", topic.id())
                .field("connectedAt", ApiJson.iso(clock.millis())).endObject();
        sink.write(event("ready", null, ready.toString()));
        mesh.openStream(topic, lastEventId, sink);
        ScheduledFuture<?> heartbeat = x.ctx().executor().scheduleAtFixedRate(
                () -> sink.write(event("heartbeat", null, Long.toString(clock.millis()))),
                heartbeatMs, heartbeatMs, TimeUnit.MILLISECONDS);
        out.closeFuture().addListener(f -> {
            heartbeat.cancel(false);
            broker.onMesh(meshId, TopicMesh.class, m -> {
                if (m != null) {
                    m.closeStream(sink);
                }
            });
        });
    }

    /** One server-sent event: {@code event:}, {@code id:} (when given) and one {@code data:} line. */
    static byte[] event(String event, String id, String data) {
        StringBuilder b = new StringBuilder(32 + data.length()).append("event: ").append(event).append('\n');
        if (id != null) {
            b.append("id: ").append(id).append('\n');
        }
        return b.append("data: ").append(data).append("\n\n").toString().getBytes(StandardCharsets.UTF_8);
    }

    /** The stream as the topic mesh writes to it: bounded by what the client has not taken yet. Thread-safe. */
    static final class Sink implements TopicStreamSink {

        private final ResponseStream out;
        private final long maxPendingBytes;

        Sink(ResponseStream out, long maxPendingBytes) {
            this.out = out;
            this.maxPendingBytes = maxPendingBytes;
        }

        /**
         * Writes {@code event}, or closes the stream when the client holds too much unread already (an event bigger
         * than the cap still goes out to a client that has taken everything before it).
         */
        boolean write(byte[] event) {
            if (!out.isOpen()) {
                return false;
            }
            long pending = out.pendingBytes();
            if (pending > 0 && pending + event.length > maxPendingBytes) {
                log.info("topic stream closed: the client left more than {} bytes unread", maxPendingBytes);
                out.abort();
                return false;
            }
            out.write(event);
            return true;
        }

        @Override
        public boolean message(TopicStore.Message m) {
            JsonOut o = new JsonOut(256 + m.ciphertext().length());
            ApiJson.message(o, m);
            return write(event("message", m.id(), o.toString()));
        }

        /** The replay writes while less than half the cap is unread, so live events still have room. */
        @Override
        public boolean backlogWritable() {
            long pending = out.pendingBytes();
            return pending == 0 || pending < maxPendingBytes / 2;
        }

        @Override
        public void whenDrained(Runnable resume) {
            out.whenWritten(resume);
        }

        @Override
        public void backlogFailed() {
            write(event("error", null, "{\"error\":\"history unavailable\"}"));
        }

        @Override
        public boolean isOpen() {
            return out.isOpen();
        }

        @Override
        public void end() {
            write(event("error", null, "{\"error\":\"mesh deleted\"}"));
            out.end();
        }
    }
}
