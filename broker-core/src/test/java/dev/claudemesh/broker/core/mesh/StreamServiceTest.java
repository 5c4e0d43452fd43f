package dev.claudemesh.broker.core.mesh;

import dev.claudemesh.broker.core.audit.AuditEvent;
import dev.claudemesh.broker.core.crypto.Ed25519;
import dev.claudemesh.broker.core.port.DurableOp;
import dev.claudemesh.broker.core.stream.StreamService;
import dev.claudemesh.broker.core.stream.StreamStore;
import dev.claudemesh.broker.core.testing.Identities;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Streams (PROTOCOL-MESH §12) on a manual loop with an in-memory store: reply shapes, the live-only fan-out, the
 * lease rules (grace keeps a subscription, eviction ends it) and the bounded per-subscriber buffers, with a fake
 * socket that stops taking bytes ({@code holdWrites}). Lives in the mesh package for {@link MeshHarness}.
 */
class StreamServiceTest {

    private static final int BUFFER = 16 * 1024;

    /** An in-memory {@link StreamStore} with the quota rule of the real one. */
    static final class MemoryStreams implements StreamStore {
        final List<Stream> rows = new ArrayList<>();
        boolean failing;

        @Override
        public synchronized Created create(String meshId, String newId, String name, String createdBy, long nowMs,
                                           int maxPerMesh) {
            if (failing) {
                throw new IllegalStateException("database down");
            }
            for (Stream s : rows) {
                if (s.name().equals(name)) {
                    return new Created(s, false, false);
                }
            }
            if (rows.size() >= maxPerMesh) {
                return new Created(null, false, true);
            }
            Stream s = new Stream(newId, name, createdBy, nowMs);
            rows.add(s);
            return new Created(s, true, false);
        }

        @Override
        public synchronized List<Stream> list(String meshId, int limit) {
            if (failing) {
                throw new IllegalStateException("database down");
            }
            return List.copyOf(rows.subList(0, Math.min(limit, rows.size())));
        }
    }

    private final MemoryStreams store = new MemoryStreams();
    private final MeshHarness h = new MeshHarness(Runnable::run,
            List.of(new StreamService(store, new StreamService.Limits(3, 2, BUFFER))));
    private final Identities.MemberKeys alice = h.member("alice");
    private final Identities.MemberKeys bob = h.member("bob");

    private static String streamData(String stream, String dataJson, String by) {
        return "{\"type\":\"stream_data\",\"stream\":\"" + stream + "\"" + (dataJson == null ? "" : ",\"data\":"
                + dataJson) + ",\"publishedBy\":\"" + by + "\"}";
    }

    private void subscribe(MeshHarness.Peer p, String stream) {
        p.send("{\"type\":\"subscribe\",\"stream\":\"" + stream + "\",\"_reqId\":\"sub\"}");
        h.loop.runAll();
        assertThat(p.conn().last()).isEqualTo("{\"type\":\"subscribed\",\"stream\":\"" + stream
                + "\",\"_reqId\":\"sub\"}");
    }

    /** A list_peers whose reply is the peer's next frame: nothing else was written to it in between. */
    private void assertNothingMoreThan(MeshHarness.Peer p, int frames) {
        p.send("{\"type\":\"list_peers\"}");
        h.loop.runAll();
        assertThat(p.conn().frames).hasSize(frames + 1);
        assertThat(p.conn().last()).contains("\"type\":\"peers_list\"");
    }

    private static String numberField(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\":(-?[0-9]+)").matcher(json);
        if (!m.find()) {
            throw new AssertionError(name + " not in " + json);
        }
        return m.group(1);
    }

    @Test
    void shouldDeliverPublishedDataToEveryOtherSubscriberExactlyAndNeverAnswerThePublisher() {
        MeshHarness.Peer a1 = h.session(alice, "s-a1");
        MeshHarness.Peer a2 = h.session(alice, "s-a2");
        MeshHarness.Peer b = h.session(bob, "s-b");
        MeshHarness.Peer c = h.session(h.member("carol"), "s-c");
        subscribe(a1, "metrics");
        subscribe(a2, "metrics");
        subscribe(b, "metrics");
        int a1Frames = a1.conn().frames.size();
        int cFrames = c.conn().frames.size();

        a1.send("{\"type\":\"publish\",\"stream\":\"metrics\",\"data\":{\"cpu\":0.50,\"z\":[1,null,\"é\"]}}");
        a1.send("{\"type\":\"publish\",\"stream\":\"metrics\"}");
        a1.send("{\"type\":\"publish\",\"stream\":\"metrics\",\"data\":\"plain text\",\"_reqId\":\"p3\"}");
        h.loop.runAll();

        List<String> expected = List.of(streamData("metrics", "{\"cpu\":0.50,\"z\":[1,null,\"é\"]}", "alice"),
                streamData("metrics", null, "alice"), streamData("metrics", "\"plain text\"", "alice"));
        assertThat(a2.conn().framesContaining("stream_data")).isEqualTo(expected); // a sibling session gets it
        assertThat(b.conn().framesContaining("stream_data")).isEqualTo(expected);
        assertNothingMoreThan(a1, a1Frames); // no reply, no echo to the publisher's own lease
        assertNothingMoreThan(c, cFrames); // not subscribed
        assertThat(h.metrics.messagesRouted().get("stream").sum()).isEqualTo(3);
        assertThat(h.metrics.streamSubscriptions.get()).isEqualTo(3);
    }

    @Test
    void shouldStaySilentOnBadPublishAndUnsubscribeAndAnswerBadSubscribes() {
        MeshHarness.Peer a = h.session(alice, "s-a");
        MeshHarness.Peer b = h.session(bob, "s-b");
        subscribe(b, "s");
        int aFrames = a.conn().frames.size();
        a.send("{\"type\":\"publish\",\"data\":1,\"_reqId\":\"p1\"}");
        a.send("{\"type\":\"publish\",\"stream\":7,\"data\":1,\"_reqId\":\"p2\"}");
        a.send("{\"type\":\"unsubscribe\",\"_reqId\":\"u1\"}");
        a.send("{\"type\":\"unsubscribe\",\"stream\":\"never-subscribed\"}");
        assertNothingMoreThan(a, aFrames);
        assertThat(b.conn().framesContaining("stream_data")).isEmpty();

        a.send("{\"type\":\"subscribe\",\"_reqId\":\"r1\"}");
        a.send("{\"type\":\"subscribe\",\"stream\":[\"x\"],\"_reqId\":\"r2\"}");
        a.send("{\"type\":\"subscribe\",\"stream\":\"" + "x".repeat(257) + "\",\"_reqId\":\"r3\"}");
        h.loop.runAll();
        assertThat(a.conn().framesContaining("\"type\":\"error\"")).containsExactly(
                "{\"type\":\"error\",\"code\":\"bad_request\",\"message\":\"stream must be a non-empty string\","
                        + "\"_reqId\":\"r1\"}",
                "{\"type\":\"error\",\"code\":\"bad_request\",\"message\":\"stream must be a string\",\"_reqId\":\"r2\"}",
                "{\"type\":\"error\",\"code\":\"bad_request\",\"message\":\"stream must be at most 256 characters\","
                        + "\"_reqId\":\"r3\"}");
        assertThat(h.metrics.requestErrors().get("subscribe").get("bad_request").sum()).isEqualTo(3);
    }

    @Test
    void shouldLimitSubscriptionsPerLeaseAndStopDeliveringAfterUnsubscribe() {
        MeshHarness.Peer a = h.session(alice, "s-a");
        MeshHarness.Peer b = h.session(bob, "s-b");
        subscribe(b, "one");
        subscribe(b, "two");
        subscribe(b, "two"); // again: still subscribed once, not counted twice
        b.send("{\"type\":\"subscribe\",\"stream\":\"three\",\"_reqId\":9}");
        h.loop.runAll();
        assertThat(b.conn().last()).isEqualTo("{\"type\":\"error\",\"code\":\"limit_exceeded\",\"message\":"
                + "\"this session has 2 stream subscriptions (the limit)\",\"_reqId\":9}");

        b.send("{\"type\":\"unsubscribe\",\"stream\":\"one\"}");
        a.send("{\"type\":\"publish\",\"stream\":\"one\",\"data\":1}");
        a.send("{\"type\":\"publish\",\"stream\":\"two\",\"data\":2}");
        h.loop.runAll();
        assertThat(b.conn().framesContaining("stream_data")).containsExactly(streamData("two", "2", "alice"));
        subscribe(b, "three"); // room again after the unsubscribe
        assertThat(h.metrics.streamSubscriptions.get()).isEqualTo(2);
    }

    @Test
    void shouldBoundASlowSubscribersBufferDropItsOldestFramesAndKeepOthersFlowing() {
        MeshHarness.Peer a = h.session(alice, "s-a");
        MeshHarness.Peer slow = h.session(bob, "s-slow");
        MeshHarness.Peer fast = h.session(h.member("carol"), "s-fast");
        subscribe(slow, "m");
        subscribe(fast, "m");
        slow.conn().holdWrites = true; // its socket stops taking bytes
        String pad = "x".repeat(1000);
        int published = 200;
        long maxBuffered = 0;
        for (int i = 0; i < published; i++) {
            a.send("{\"type\":\"publish\",\"stream\":\"m\",\"data\":{\"i\":" + i + ",\"pad\":\"" + pad + "\"}}");
            h.loop.runAll();
            maxBuffered = Math.max(maxBuffered, h.metrics.streamBufferedBytes.get());
        }
        int frameBytes = streamData("m", "{\"i\":100,\"pad\":\"" + pad + "\"}", "alice").length();

        assertThat(fast.conn().framesContaining("stream_data")).hasSize(published); // never held back by the slow one
        assertThat(maxBuffered).isLessThanOrEqualTo(BUFFER); // the broker holds at most the budget for it
        int handed = slow.conn().framesContaining("stream_data").size();
        assertThat(handed).isLessThanOrEqualTo(BUFFER / 2 / frameBytes + 1); // in flight: about half the budget
        assertThat(slow.conn().heldWrites()).isEqualTo(handed);
        long dropped = h.metrics.streamFramesDropped.sum();
        assertThat(dropped).isGreaterThan(published - BUFFER / frameBytes - 1L);

        // the socket drains: the frames handed first arrive, then the newest ones that waited (the oldest were dropped)
        while (slow.conn().completeWrites(Integer.MAX_VALUE) > 0) {
            h.loop.runAll();
        }
        List<Integer> got = new ArrayList<>();
        for (String f : slow.conn().framesContaining("stream_data")) {
            got.add(Integer.parseInt(numberField(f, "i")));
        }
        assertThat(got).isSorted().hasSize((int) (published - dropped)).startsWith(0).endsWith(published - 1);
        assertThat(got.get(handed)).isGreaterThan(handed); // a gap: what came after the first ones was the newest
        assertThat(h.metrics.streamBufferedBytes.get()).isZero();
        assertThat(slow.conn().closeCode).isNull(); // dropping frames, not the subscriber

        a.send("{\"type\":\"publish\",\"stream\":\"m\",\"data\":\"after\"}");
        h.loop.runAll();
        assertThat(slow.conn().last()).isEqualTo(streamData("m", "\"after\"", "alice")); // caught up: flowing again
    }

    @Test
    void shouldDropAFrameLargerThanTheWholeBuffer() {
        MeshHarness.Peer a = h.session(alice, "s-a");
        MeshHarness.Peer b = h.session(bob, "s-b");
        subscribe(b, "big");
        a.send("{\"type\":\"publish\",\"stream\":\"big\",\"data\":\"" + "y".repeat(BUFFER) + "\"}");
        a.send("{\"type\":\"publish\",\"stream\":\"big\",\"data\":\"small\"}");
        h.loop.runAll();
        assertThat(b.conn().framesContaining("stream_data")).containsExactly(streamData("big", "\"small\"", "alice"));
        assertThat(h.metrics.streamFramesDropped.sum()).isEqualTo(1);
    }

    @Test
    void shouldKeepASubscriptionThroughAGraceReattachAndEndItWithTheLease() {
        MeshHarness.Peer a = h.session(alice, "s-a");
        Ed25519.KeyPair bKeys = Ed25519.generate();
        MeshHarness.Peer b = h.session(bob, bKeys, "s-b");
        subscribe(b, "s");
        b.session().onClosed(); // grace
        h.loop.runAll();
        a.send("{\"type\":\"publish\",\"stream\":\"s\",\"data\":\"missed\"}");
        h.loop.runAll();
        assertThat(h.metrics.streamFramesDropped.sum()).isZero(); // missed in grace (§0.5), not a back-pressure drop
        assertThat(listStreamsCount(a, "s")).isEqualTo(1);

        MeshHarness.Peer b2 = h.session(bob, bKeys, "s-b"); // same session key within grace: same presence
        assertThat(b2.conn().frames.get(0)).contains(b.presenceId());
        a.send("{\"type\":\"publish\",\"stream\":\"s\",\"data\":\"again\"}");
        h.loop.runAll();
        assertThat(b2.conn().framesContaining("stream_data")).containsExactly(streamData("s", "\"again\"", "alice"));

        b2.session().onClosed();
        h.loop.runAll();
        h.loop.advance(91_000); // grace expires: the lease ends, its subscriptions go
        assertThat(listStreamsCount(a, "s")).isZero();
        assertThat(h.metrics.streamSubscriptions.get()).isZero();
        assertThat(h.metrics.streamBufferedBytes.get()).isZero();
    }

    private int listStreamsCount(MeshHarness.Peer p, String name) {
        p.send("{\"type\":\"create_stream\",\"name\":\"" + name + "\"}");
        p.send("{\"type\":\"list_streams\",\"_reqId\":\"ls\"}");
        h.loop.runAll();
        String list = p.conn().last();
        assertThat(list).startsWith("{\"type\":\"stream_list\"");
        return Integer.parseInt(numberField(list, "subscriberCount"));
    }

    @Test
    void shouldCreateAndListStreamsWithTheirShapesLimitAndAudit() {
        MeshHarness.Peer a = h.session(alice, "s-a");
        MeshHarness.Peer b = h.session(bob, "s-b");
        a.send("{\"type\":\"create_stream\",\"name\":\"metrics\",\"_reqId\":\"c1\"}");
        h.loop.runAll();
        String id = MeshHarness.field(a.conn().last(), "id");
        assertThat(a.conn().last()).isEqualTo("{\"type\":\"stream_created\",\"id\":\"" + id
                + "\",\"name\":\"metrics\",\"_reqId\":\"c1\"}");
        b.send("{\"type\":\"create_stream\",\"name\":\"metrics\",\"_reqId\":\"c2\"}"); // exists: its id, no new row
        h.loop.runAll();
        assertThat(b.conn().last()).isEqualTo("{\"type\":\"stream_created\",\"id\":\"" + id
                + "\",\"name\":\"metrics\",\"_reqId\":\"c2\"}");
        subscribe(b, "metrics");
        b.send("{\"type\":\"create_stream\",\"name\":\"logs\"}");
        b.send("{\"type\":\"create_stream\",\"name\":\"third\"}");
        b.send("{\"type\":\"create_stream\",\"name\":\"fourth\",\"_reqId\":\"c4\"}");
        b.send("{\"type\":\"create_stream\",\"_reqId\":\"c5\"}");
        h.loop.runAll();
        // bad input is answered at once; the quota only once the store has answered
        assertThat(b.conn().framesContaining("\"type\":\"error\"")).containsExactly(
                "{\"type\":\"error\",\"code\":\"bad_request\",\"message\":\"name must be a non-empty string\","
                        + "\"_reqId\":\"c5\"}",
                "{\"type\":\"error\",\"code\":\"limit_exceeded\",\"message\":\"this mesh has 3 streams (the limit)\","
                        + "\"_reqId\":\"c4\"}");

        a.send("{\"type\":\"list_streams\",\"_reqId\":7}");
        h.loop.runAll();
        String created = "2023-11-14T22:13:20.000Z";
        assertThat(a.conn().last()).isEqualTo("{\"type\":\"stream_list\",\"streams\":["
                + "{\"id\":\"" + id + "\",\"name\":\"metrics\",\"createdBy\":\"alice\",\"createdAt\":\"" + created
                + "\",\"subscriberCount\":1},"
                + "{\"id\":\"" + store.rows.get(1).id() + "\",\"name\":\"logs\",\"createdBy\":\"bob\",\"createdAt\":\""
                + created + "\",\"subscriberCount\":0},"
                + "{\"id\":\"" + store.rows.get(2).id() + "\",\"name\":\"third\",\"createdBy\":\"bob\",\"createdAt\":\""
                + created + "\",\"subscriberCount\":0}],\"_reqId\":7}");
        assertThat(h.audits().stream().map(DurableOp.AppendAudit::event).filter(e -> e instanceof AuditEvent.StreamCreated)
                .toList()).containsExactly(new AuditEvent.StreamCreated("metrics"), new AuditEvent.StreamCreated("logs"),
                new AuditEvent.StreamCreated("third"));
    }

    @Test
    void shouldAnswerAStorageFailureWithInternalError() {
        MeshHarness.Peer a = h.session(alice, "s-a");
        store.failing = true;
        a.send("{\"type\":\"create_stream\",\"name\":\"x\",\"_reqId\":\"c\"}");
        a.send("{\"type\":\"list_streams\",\"_reqId\":\"l\"}");
        h.loop.runAll();
        assertThat(a.conn().framesContaining("\"type\":\"error\"")).containsExactly(
                "{\"type\":\"error\",\"code\":\"internal_error\",\"message\":\"streams are unavailable, try again\","
                        + "\"_reqId\":\"c\"}",
                "{\"type\":\"error\",\"code\":\"internal_error\",\"message\":\"streams are unavailable, try again\","
                        + "\"_reqId\":\"l\"}");
    }
}
