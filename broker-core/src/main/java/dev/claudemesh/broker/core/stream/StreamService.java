package dev.claudemesh.broker.core.stream;

import dev.claudemesh.broker.core.Ids;
import dev.claudemesh.broker.core.audit.AuditChain;
import dev.claudemesh.broker.core.audit.AuditEvent;
import dev.claudemesh.broker.core.envelope.Frames;
import dev.claudemesh.broker.core.envelope.Inbound;
import dev.claudemesh.broker.core.envelope.JsonFields;
import dev.claudemesh.broker.core.envelope.JsonNode;
import dev.claudemesh.broker.core.envelope.JsonOut;
import dev.claudemesh.broker.core.mesh.Lease;
import dev.claudemesh.broker.core.mesh.MeshContext;
import dev.claudemesh.broker.core.mesh.MeshService;
import dev.claudemesh.broker.core.mesh.PeerSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Objects;

/**
 * Streams (PROTOCOL-MESH §12): {@code create_stream} and {@code list_streams} over the stored names,
 * {@code subscribe}, {@code unsubscribe} and {@code publish} live on the mesh loop ({@link Streams}). {@code publish}
 * and {@code unsubscribe} never answer (§0.4), not even bad input. Stateless and thread-safe; each mesh's state is a
 * {@link Streams}, confined to the mesh loop.
 */
public final class StreamService implements MeshService<Streams> {

    private static final Logger log = LoggerFactory.getLogger(StreamService.class);
    /** Longest stream name, in characters. */
    static final int MAX_NAME_CHARS = 256;

    /**
     * The service's limits (settings). Immutable.
     *
     * @param maxStreamsPerMesh        stored streams per mesh; {@code list_streams} returns at most this many
     * @param maxSubscriptionsPerLease streams one lease may subscribe to
     * @param subscriberBufferBytes    most {@code stream_data} bytes held for one subscription ({@link Streams})
     */
    public record Limits(int maxStreamsPerMesh, int maxSubscriptionsPerLease, int subscriberBufferBytes) {
        public Limits {
            if (maxStreamsPerMesh < 1) {
                throw new IllegalArgumentException("maxStreamsPerMesh: " + maxStreamsPerMesh + " (expected: > 0)");
            }
            if (maxSubscriptionsPerLease < 1) {
                throw new IllegalArgumentException("maxSubscriptionsPerLease: " + maxSubscriptionsPerLease
                        + " (expected: > 0)");
            }
            if (subscriberBufferBytes < 1024) {
                throw new IllegalArgumentException("subscriberBufferBytes: " + subscriberBufferBytes
                        + " (expected: >= 1024)");
            }
        }
    }

    private final StreamStore store;
    private final Limits limits;

    public StreamService(StreamStore store, Limits limits) {
        this.store = Objects.requireNonNull(store, "store");
        this.limits = Objects.requireNonNull(limits, "limits");
    }

    @Override
    public String name() {
        return "streams";
    }

    @Override
    public void registerHandlers(Registrar<Streams> r) {
        r.handle("create_stream", this::createStream);
        r.handle("list_streams", this::listStreams);
        r.handle("subscribe", this::subscribe);
        r.handle("unsubscribe", this::unsubscribe);
        r.handle("publish", this::publish);
    }

    @Override
    public Streams createMeshState(MeshContext mesh) {
        return new Streams(mesh, limits);
    }

    /** {@code create_stream {name}} → {@code stream_created {id, name}}, the existing id when it existed. */
    private void createStream(Streams streams, PeerSession from, Inbound in) {
        MeshContext mesh = streams.mesh;
        String name;
        try {
            name = JsonFields.requiredString(in.body(), "name", MAX_NAME_CHARS);
        } catch (JsonFields.BadField e) {
            reject(mesh, from, in, "bad_request", e.getMessage());
            return;
        }
        Lease caller = from.lease();
        String createdBy = caller.member().displayName();
        long nowMs = mesh.nowMs();
        String newId = Ids.newId(nowMs);
        mesh.onLoop(mesh.storage(() -> store.create(mesh.meshId(), newId, name, createdBy, nowMs,
                limits.maxStreamsPerMesh())), (created, failure) -> {
            if (failure != null) {
                storageFailed(mesh, from, in, failure);
                return;
            }
            if (created.limitReached()) {
                reject(mesh, from, in, "limit_exceeded",
                        "this mesh has " + limits.maxStreamsPerMesh() + " streams (the limit)");
                return;
            }
            if (created.created()) {
                mesh.audit(caller.member().id(), new AuditEvent.StreamCreated(name));
            }
            JsonOut o = Frames.beginReply("stream_created").field("id", created.stream().id())
                    .field("name", created.stream().name());
            from.reply(Frames.endReply(o, in));
        });
    }

    /** {@code list_streams} → {@code stream_list}, oldest first, with the live subscriber counts. */
    private void listStreams(Streams streams, PeerSession from, Inbound in) {
        MeshContext mesh = streams.mesh;
        mesh.onLoop(mesh.storage(() -> store.list(mesh.meshId(), limits.maxStreamsPerMesh())), (list, failure) -> {
            if (failure != null) {
                storageFailed(mesh, from, in, failure);
                return;
            }
            from.reply(streamList(streams, list, in));
        });
    }

    private static byte[] streamList(Streams streams, List<StreamStore.Stream> list, Inbound in) {
        JsonOut o = new JsonOut(128 + 160 * list.size()).beginObject().field("type", "stream_list")
                .name("streams").beginArray();
        for (StreamStore.Stream s : list) {
            o.beginObject().field("id", s.id()).field("name", s.name())
                    .field("createdBy", s.createdBy() == null ? "" : s.createdBy())
                    .field("createdAt", AuditChain.isoMillis(s.createdAtMs()))
                    .field("subscriberCount", streams.subscriberCount(s.name())).endObject();
        }
        o.endArray();
        return Frames.endReply(o, in);
    }

    /** {@code subscribe {stream}} → {@code subscribed {stream}}; the stream need not exist. */
    private void subscribe(Streams streams, PeerSession from, Inbound in) {
        String stream;
        try {
            stream = JsonFields.requiredString(in.body(), "stream", MAX_NAME_CHARS);
        } catch (JsonFields.BadField e) {
            reject(streams.mesh, from, in, "bad_request", e.getMessage());
            return;
        }
        if (streams.subscribe(from.lease(), stream) == Streams.Subscribed.LIMIT_REACHED) {
            reject(streams.mesh, from, in, "limit_exceeded",
                    "this session has " + limits.maxSubscriptionsPerLease() + " stream subscriptions (the limit)");
            return;
        }
        from.reply(Frames.endReply(Frames.beginReply("subscribed").field("stream", stream), in));
    }

    /** {@code unsubscribe {stream}}: no reply, whatever the input (§0.4). */
    private void unsubscribe(Streams streams, PeerSession from, Inbound in) {
        String stream = in.body().string("stream");
        if (stream != null) {
            streams.unsubscribe(from.lease(), stream);
        }
    }

    /**
     * {@code publish {stream, data}}: one {@code stream_data {stream, data, publishedBy}} to every other subscriber,
     * encoded once; {@code data} is any JSON, written back exactly (left out when the request had none, as the
     * original's {@code JSON.stringify} leaves out {@code undefined}). No reply, no storage, no existence check.
     */
    private void publish(Streams streams, PeerSession from, Inbound in) {
        JsonNode.ObjectNode body = in.body();
        String stream = body.string("stream");
        if (stream == null) {
            return; // fire-and-forget: silent on bad input (§0.4)
        }
        streams.mesh.metrics().messageRouted("stream");
        if (streams.subscriberCount(stream) == 0) {
            return;
        }
        JsonOut o = new JsonOut(96 + stream.length()).beginObject().field("type", "stream_data").field("stream", stream);
        JsonNode data = body.get("data");
        if (data != null) {
            o.name("data").value(data);
        }
        o.field("publishedBy", from.lease().member().displayName());
        streams.publish(stream, from.lease(), o.endObject().toBytes());
    }

    private static void reject(MeshContext mesh, PeerSession from, Inbound in, String code, String message) {
        mesh.error(from, in, code, message); // logs the one line of the refusal
    }

    private static void storageFailed(MeshContext mesh, PeerSession from, Inbound in, Throwable failure) {
        // the failure's class only: a driver message may quote values
        log.warn("conn {}: {} failed in mesh {}: {}", from.connection().id(), in.rawType, mesh.meshId(),
                failure.getClass().getSimpleName());
        mesh.error(from, in, "internal_error", "streams are unavailable, try again");
    }
}
