package dev.claudemesh.broker.netty.http;

import dev.claudemesh.broker.core.Ids;
import dev.claudemesh.broker.core.mesh.Broker;
import dev.claudemesh.broker.core.mesh.PeerWatcher;
import dev.claudemesh.broker.db.store.MembershipAdmin;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.AsciiString;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code GET /admin/meshes/{meshId}/peers/stream} (admin API, the console's live peers): server-sent events, behind
 * the admin token like every {@code /admin} route (a browser reads it with {@code fetch}, as {@code EventSource}
 * cannot send the {@code Authorization} header).
 * <ul>
 *   <li>{@code event: peers} with the admin peers array (as {@code GET …/peers}) at once, then whenever it changes
 *       ({@link Broker#watchPeers}: lease events within 50 ms, status and summary within a second);</li>
 *   <li>{@code event: deleted} when the mesh is deleted, then the stream ends;</li>
 *   <li>a comment line ({@code : keepalive}) every {@link #KEEPALIVE_MS} so that proxies keep it open.</li>
 * </ul>
 * At most {@link #MAX_STREAMS} at once per broker (429 {@code too many streams}); a client that leaves more than
 * {@link #MAX_PENDING_BYTES} unread is cut off. Unknown mesh → 404. Thread-safe.
 */
final class PeerStreamApi {

    private static final Logger log = LoggerFactory.getLogger(PeerStreamApi.class);
    private static final AsciiString EVENT_STREAM = AsciiString.cached("text/event-stream");
    static final long KEEPALIVE_MS = 15_000;
    static final int MAX_STREAMS = 64;
    static final long MAX_PENDING_BYTES = 4L << 20;
    private static final byte[] KEEPALIVE = ": keepalive\n\n".getBytes(StandardCharsets.US_ASCII);

    private final Broker broker;
    private final MembershipAdmin admin;
    private final BlockingCalls calls;
    private final AtomicInteger open = new AtomicInteger();

    PeerStreamApi(Broker broker, MembershipAdmin admin, BlockingCalls calls) {
        this.broker = Objects.requireNonNull(broker, "broker");
        this.admin = Objects.requireNonNull(admin, "admin");
        this.calls = Objects.requireNonNull(calls, "calls");
    }

    void stream(HttpExchange x) {
        String meshId = x.param("meshId");
        if (!Ids.isId(meshId)) {
            x.sendError(HttpResponseStatus.NOT_FOUND, "mesh not found");
            return;
        }
        calls.runAsync(x, ErrorBody.PLAIN, "admin peer stream", () -> {
            if (admin.findMesh(meshId).isEmpty()) {
                return CompletableFuture.completedFuture(ErrorBody.PLAIN.answer(HttpResponseStatus.NOT_FOUND,
                        "mesh not found"));
            }
            if (open.incrementAndGet() > MAX_STREAMS) {
                open.decrementAndGet();
                return CompletableFuture.completedFuture(ErrorBody.PLAIN.answer(HttpResponseStatus.TOO_MANY_REQUESTS,
                        "too many streams"));
            }
            open(x, meshId);
            return new CompletableFuture<>(); // the open stream is the answer
        });
    }

    private void open(HttpExchange x, String meshId) {
        ResponseStream out = x.stream(HttpResponseStatus.OK, EVENT_STREAM);
        Watcher w = new Watcher(out);
        broker.watchPeers(meshId, w);
        ScheduledFuture<?> keepalive = x.ctx().executor().scheduleAtFixedRate(() -> out.write(KEEPALIVE),
                KEEPALIVE_MS, KEEPALIVE_MS, TimeUnit.MILLISECONDS);
        out.closeFuture().addListener(f -> {
            keepalive.cancel(false);
            open.decrementAndGet();
            broker.unwatchPeers(meshId, w);
        });
    }

    /** The stream as the mesh loop writes to it. */
    private static final class Watcher implements PeerWatcher {

        private final ResponseStream out;

        Watcher(ResponseStream out) {
            this.out = out;
        }

        @Override
        public boolean peers(byte[] json) {
            if (!out.isOpen()) {
                return false;
            }
            if (out.pendingBytes() > MAX_PENDING_BYTES) {
                log.info("admin peer stream closed: the client left more than {} bytes unread", MAX_PENDING_BYTES);
                out.abort();
                return false;
            }
            out.write(event("peers", json));
            return true;
        }

        @Override
        public void meshDeleted() {
            out.write(event("deleted", "{}".getBytes(StandardCharsets.US_ASCII)));
            out.end();
        }
    }

    /** {@code event: <name>} and one {@code data:} line (JSON has no raw newline). */
    static byte[] event(String name, byte[] json) {
        byte[] head = ("event: " + name + "\ndata: ").getBytes(StandardCharsets.US_ASCII);
        byte[] b = new byte[head.length + json.length + 2];
        System.arraycopy(head, 0, b, 0, head.length);
        System.arraycopy(json, 0, b, head.length, json.length);
        b[b.length - 2] = '\n';
        b[b.length - 1] = '\n';
        return b;
    }
}
