package dev.claudemesh.broker.core.topic;

import dev.claudemesh.broker.core.audit.AuditEvent;
import dev.claudemesh.broker.core.mesh.Lease;
import dev.claudemesh.broker.core.mesh.MeshContext;
import dev.claudemesh.broker.core.mesh.MeshDeletedListener;
import dev.claudemesh.broker.core.port.Fanout;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.BiConsumer;

/**
 * The topic feature's state of one mesh: the open event streams of its topics, and the one path by which a topic
 * message, from a WebSocket {@code send} or a REST post, is stored and then delivered: pushed to every live lease of
 * every other subscribed member (PROTOCOL-MESH §8.6 [fix]) and written to the topic's event streams. Both kinds of
 * post run their storage call through the mesh's serial storage lane, so every stream sees one commit order.
 *
 * <p><b>Thread:</b> the mesh loop, for every method (the REST routes come in through
 * {@link dev.claudemesh.broker.core.mesh.Broker#onMesh}). Holds no durable state; created once per mesh by
 * {@link TopicService}.</p>
 */
public final class TopicMesh implements MeshDeletedListener {

    /** Messages read per page while a reconnecting stream catches up. */
    static final int CATCH_UP_PAGE = 100;

    final MeshContext mesh;
    final TopicStore store;
    final TopicLimits limits;
    private final Map<String, List<Stream>> streamsByTopic = new HashMap<>();
    private int streams;

    TopicMesh(MeshContext mesh, TopicStore store, TopicLimits limits) {
        this.mesh = mesh;
        this.store = store;
        this.limits = limits;
    }

    /** One open event stream: live once it has caught up with what it missed. */
    private static final class Stream {
        final String topicId;
        final TopicStreamSink sink;
        String cursor;
        boolean live;
        boolean closed;

        Stream(String topicId, TopicStreamSink sink) {
            this.topicId = topicId;
            this.sink = sink;
        }
    }

    /**
     * Stores {@code message}, then delivers it: the push to the other subscribers' live leases and the topic's
     * streams. {@code done} runs on the loop after both, with the stored result (its status says whether the topic
     * took it) or the storage failure.
     */
    void store(TopicStore.NewMessage message, BiConsumer<TopicStore.Posted, Throwable> done) {
        mesh.onLoop(mesh.storage(() -> store.post(message)), (posted, failure) -> {
            if (failure == null && posted.status() == TopicStore.PostStatus.OK) {
                deliver(posted, message.priority());
            }
            done.accept(posted, failure);
        });
    }

    /**
     * A REST post (PROTOCOL-MESH §8.10 {@code POST /messages}): stored and delivered like a WebSocket send, audited as
     * {@code message_sent} by its sender member. Loop only.
     */
    public void post(TopicStore.NewMessage message, BiConsumer<TopicStore.Posted, Throwable> done) {
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(done, "done");
        store(message, (posted, failure) -> {
            if (failure == null && posted.status() == TopicStore.PostStatus.OK) {
                mesh.audit(message.senderMemberId(),
                        new AuditEvent.MessageSent("#" + message.topicId(), message.priority()));
            }
            done.accept(posted, failure);
        });
    }

    private void deliver(TopicStore.Posted posted, String priority) {
        TopicStore.Message m = posted.message();
        byte[] frame = TopicFrames.push(mesh.meshId(), posted.topic().name(), m, priority);
        Fanout out = mesh.loop().fanout();
        for (String memberPubkey : posted.recipientMemberPubkeys()) {
            List<Lease> leases = mesh.leases().ofMember(memberPubkey);
            for (int i = 0; i < leases.size(); i++) {
                Lease l = leases.get(i);
                if (l.isLive()) {
                    mesh.send(out, l, frame);
                    mesh.metrics().pushesTotal.increment();
                }
            }
        }
        out.finish();
        List<Stream> open = streamsByTopic.get(m.topicId());
        if (open != null) {
            for (Stream s : new ArrayList<>(open)) {
                if (s.live && !s.sink.message(m)) {
                    drop(s);
                }
            }
        }
    }

    /** True while the mesh has room for one more event stream ({@link TopicLimits#maxStreamsPerMesh}). Loop only. */
    public boolean acceptsStream() {
        return streams < limits.maxStreamsPerMesh();
    }

    /**
     * Opens an event stream on {@code topic}: with {@code lastEventId}, the messages after it are replayed first
     * (in pages, oldest first) and live delivery starts once the replay has caught up, so a reconnecting client misses
     * nothing still in history and gets nothing twice; without one, delivery is live from now. Loop only.
     *
     * @return false when the mesh has {@link TopicLimits#maxStreamsPerMesh} streams open already
     */
    public boolean openStream(TopicStore.Topic topic, String lastEventId, TopicStreamSink sink) {
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(sink, "sink");
        if (!acceptsStream()) {
            return false;
        }
        Stream s = new Stream(topic.id(), sink);
        streamsByTopic.computeIfAbsent(topic.id(), k -> new ArrayList<>()).add(s);
        streams++;
        if (lastEventId == null || lastEventId.isEmpty()) {
            s.live = true;
        } else {
            s.cursor = lastEventId;
            catchUp(s);
        }
        return true;
    }

    /**
     * Reads the next page after the stream's cursor. Storage calls of a mesh run in submission order, so every message
     * committed before this read is in it (its own delivery ran before this continuation, while the stream was not
     * live), and every message committed after it is delivered after this continuation: switching to live when a page
     * comes back short, and was written out within this same continuation, loses nothing and repeats nothing.
     */
    private void catchUp(Stream s) {
        String from = s.cursor;
        mesh.onLoop(mesh.storage(() -> store.after(s.topicId, from, CATCH_UP_PAGE)), (page, failure) -> {
            if (s.closed) {
                return;
            }
            if (failure != null) {
                s.sink.backlogFailed();
                s.live = true;
                return;
            }
            replay(s, page, 0, false);
        });
    }

    /**
     * Writes {@code page} from {@code index}, pausing while the client is behind ({@link TopicStreamSink#whenDrained}),
     * so a long replay never piles up in memory. After a pause, messages committed meanwhile are not in this page and
     * their live delivery was skipped: the next page is read even when this one was short.
     */
    private void replay(Stream s, List<TopicStore.Message> page, int index, boolean paused) {
        for (int i = index; i < page.size(); i++) {
            if (!s.sink.backlogWritable()) {
                int next = i;
                s.sink.whenDrained(() -> mesh.loop().execute(() -> {
                    if (!s.closed) {
                        replay(s, page, next, true);
                    }
                }));
                return;
            }
            TopicStore.Message m = page.get(i);
            if (!s.sink.message(m)) {
                drop(s);
                return;
            }
            s.cursor = m.id();
        }
        if (paused || page.size() == CATCH_UP_PAGE) {
            catchUp(s);
        } else {
            s.live = true;
        }
    }

    /** The client of {@code sink} went away: forget its stream. Loop only. */
    public void closeStream(TopicStreamSink sink) {
        for (List<Stream> list : streamsByTopic.values()) {
            for (Stream s : list) {
                if (s.sink == sink) {
                    drop(s);
                    return;
                }
            }
        }
    }

    private void drop(Stream s) {
        if (s.closed) {
            return;
        }
        s.closed = true;
        List<Stream> list = streamsByTopic.get(s.topicId);
        if (list != null) {
            list.remove(s);
            if (list.isEmpty()) {
                streamsByTopic.remove(s.topicId);
            }
        }
        streams--;
    }

    /** The mesh was deleted: every open event stream ends. Loop only. */
    @Override
    public void meshDeleted() {
        List<Stream> all = new ArrayList<>();
        streamsByTopic.values().forEach(all::addAll);
        for (Stream s : all) {
            drop(s);
            s.sink.end();
        }
    }

    /** Open event streams of the mesh (tests, metrics). */
    public int openStreams() {
        return streams;
    }

    /** A member's newest lease, live or in grace, as the REST member list shows it. */
    public record Presence(String status, String summary) {
    }

    /**
     * The presence of every member with a lease (live or in grace), by member id: the newest lease's status and
     * summary. Loop only.
     */
    public Map<String, Presence> presenceByMember() {
        Map<String, Lease> newest = new HashMap<>();
        for (Lease l : mesh.leases().all()) {
            Lease seen = newest.get(l.member().id());
            if (seen == null || l.connectedAtMs() > seen.connectedAtMs()) {
                newest.put(l.member().id(), l);
            }
        }
        Map<String, Presence> out = new HashMap<>();
        newest.forEach((id, l) -> out.put(id, new Presence(l.status().wire(), l.summary())));
        return out;
    }
}
