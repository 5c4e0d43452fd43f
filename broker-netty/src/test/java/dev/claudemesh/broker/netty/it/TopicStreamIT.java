package dev.claudemesh.broker.netty.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static dev.claudemesh.broker.netty.it.TopicSupport.createTopic;
import static dev.claudemesh.broker.netty.it.TopicSupport.fireAndSync;
import static dev.claudemesh.broker.netty.it.TopicSupport.mintKey;
import static dev.claudemesh.broker.netty.it.TopicSupport.secret;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The topic event stream {@code GET /api/v1/topics/{name}/stream} (PROTOCOL-MESH §8.10): a message posted over REST
 * or sent over the WebSocket arrives on the stream, heartbeats flow, a client that reconnects with
 * {@code Last-Event-ID} gets exactly what it missed and then live messages, the per-mesh stream limit, and a client
 * that stops reading is closed instead of being buffered without bound.
 */
class TopicStreamIT {

    private static final long MAX_PENDING = 65_536;
    private static BrokerFixture broker;

    @BeforeAll
    static void start() throws Exception {
        broker = new BrokerFixture(Map.of("TOPIC_STREAM_HEARTBEAT_MS", "200", "TOPIC_STREAMS_MAX_PER_MESH", "2",
                "TOPIC_STREAM_MAX_PENDING_BYTES", Long.toString(MAX_PENDING), "SEND_RATE_LIMIT_PER_MIN", "0"));
    }

    @AfterAll
    static void stop() {
        broker.close();
    }

    private static String post(String key, String topic, String ciphertext) throws Exception {
        HttpResponse<String> r = broker.request("POST", "/api/v1/messages", "{\"topic\":\"" + topic + "\","
                + "\"ciphertext\":\"" + ciphertext + "\",\"nonce\":\"bm9uY2U=\"}", key);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return BrokerFixture.jsonField(r.body(), "messageId");
    }

    @Test
    void shouldStreamRestAndWebSocketPostsAndResumeWithLastEventId() throws Exception {
        String mesh = broker.createMesh("stream");
        BrokerFixture.Peer alice = broker.session(broker.addMember(mesh, "alice"), "s-a");
        BrokerFixture.Peer bob = broker.session(broker.addMember(mesh, "bob"), "s-b");
        String topic = createTopic(alice.ws(), "live", null);
        fireAndSync(bob.ws(), "{\"type\":\"topic_join\",\"topic\":\"live\"}");
        String reader = secret(mintKey(bob.ws(), "[\"read\"]", "[\"live\"]"));
        String writer = secret(mintKey(alice.ws(), "[\"read\",\"send\"]", null));
        String before = post(writer, "live", "b2xk"); // before the stream: not replayed without Last-Event-ID

        String last;
        try (SseClient sse = SseClient.open(broker.port(), "/api/v1/topics/live/stream", reader, null)) {
            assertThat(sse.status()).isEqualTo(200);
            SseClient.Event ready = sse.next(e -> true, 5_000);
            assertThat(ready.event()).isEqualTo("ready");
            assertThat(ready.data()).matches("\\{\"topic\":\"live\",\"topicId\":\"" + topic + "\",\"connectedAt\":"
                    + "\"[0-9T:.Z-]{24}\"}");

            String viaRest = post(writer, "live", "cmVzdA==");
            SseClient.Event e1 = sse.nextMessage();
            assertThat(e1.id()).isEqualTo(viaRest);
            assertThat(Json.object(e1.data())).containsEntry("id", viaRest).containsEntry("ciphertext", "cmVzdA==")
                    .containsEntry("senderName", "alice").containsEntry("bodyVersion", 1L)
                    .containsEntry("replyToId", null).containsKeys("senderMemberId", "senderPubkey", "nonce",
                            "createdAt");

            alice.ws().send("{\"type\":\"send\",\"id\":\"w1\",\"targetSpec\":\"#" + topic + "\",\"nonce\":\"bm9uY2U=\","
                    + "\"ciphertext\":\"d3M=\"}");
            String viaWs = BrokerFixture.jsonField(alice.ws().awaitType("ack"), "messageId");
            assertThat(sse.nextMessage().id()).isEqualTo(viaWs);
            // the REST post also reached bob's WebSocket lease
            assertThat(bob.ws().await(s -> s.contains(viaRest), 5_000)).contains("\"topic\":\"live\"");

            SseClient.Event beat = sse.next(e -> e.event().equals("heartbeat"), 5_000);
            assertThat(Long.parseLong(beat.data())).isPositive();
            assertThat(sse.seen()).extracting(SseClient.Event::id).doesNotContain(before);
            last = viaWs;
        }

        // while disconnected: two messages; the resumed stream replays exactly those, then goes live
        String missed1 = post(writer, "live", "bTE=");
        String missed2 = post(writer, "live", "bTI=");
        try (SseClient resumed = SseClient.open(broker.port(), "/api/v1/topics/live/stream", reader, last)) {
            assertThat(resumed.next(e -> true, 5_000).event()).isEqualTo("ready");
            assertThat(resumed.nextMessage().id()).isEqualTo(missed1);
            assertThat(resumed.nextMessage().id()).isEqualTo(missed2);
            String live = post(writer, "live", "bGl2ZQ==");
            assertThat(resumed.nextMessage().id()).isEqualTo(live);
            assertThat(resumed.seen().stream().filter(e -> e.event().equals("message")).count()).isEqualTo(3);
        }
    }

    @Test
    void shouldReplayMorePagesThanOneWhenResumingAfterALongGap() throws Exception {
        String mesh = broker.createMesh("stream-pages");
        BrokerFixture.Peer alice = broker.session(broker.addMember(mesh, "alice"), "s-a");
        createTopic(alice.ws(), "busy", null);
        String key = secret(mintKey(alice.ws(), "[\"read\",\"send\"]", null));
        String from = post(key, "busy", "MA==");
        List<String> missed = new ArrayList<>();
        for (int i = 0; i < 230; i++) { // more than two catch-up pages of 100
            missed.add(post(key, "busy", "bQ=="));
        }
        try (SseClient sse = SseClient.open(broker.port(), "/api/v1/topics/busy/stream", key, from)) {
            List<String> got = new ArrayList<>();
            for (int i = 0; i < missed.size(); i++) {
                got.add(sse.nextMessage().id());
            }
            assertThat(got).isEqualTo(missed);
            String live = post(key, "busy", "bGl2ZQ==");
            assertThat(sse.nextMessage().id()).isEqualTo(live);
        }
    }

    @Test
    void shouldRefuseMoreStreamsThanTheMeshLimit() throws Exception {
        String mesh = broker.createMesh("stream-limit");
        BrokerFixture.Peer alice = broker.session(broker.addMember(mesh, "alice"), "s-a");
        createTopic(alice.ws(), "t", null);
        String key = secret(mintKey(alice.ws(), "[\"read\"]", null));
        try (SseClient one = SseClient.open(broker.port(), "/api/v1/topics/t/stream", key, null);
             SseClient two = SseClient.open(broker.port(), "/api/v1/topics/t/stream", key, null)) {
            assertThat(one.next(e -> true, 5_000).event()).isEqualTo("ready");
            assertThat(two.next(e -> true, 5_000).event()).isEqualTo("ready");
            try (SseClient three = SseClient.open(broker.port(), "/api/v1/topics/t/stream", key, null)) {
                assertThat(three.status()).isEqualTo(429);
                assertThat(three.errorBody()).isEqualTo("{\"error\":\"too_many_streams\"}");
            }
        }
        // a closed stream frees its place (the broker hears the close on the mesh loop)
        long deadline = System.currentTimeMillis() + 5_000;
        while (true) {
            try (SseClient again = SseClient.open(broker.port(), "/api/v1/topics/t/stream", key, null)) {
                if (again.status() == 200) {
                    assertThat(again.next(e -> true, 5_000).event()).isEqualTo("ready");
                    break;
                }
                assertThat(System.currentTimeMillis()).as("stream slots freed").isLessThan(deadline);
            }
        }
    }

    @Test
    void shouldCloseAStreamWhoseClientStopsReadingInsteadOfBufferingWithoutBound() throws Exception {
        String mesh = broker.createMesh("stream-slow");
        BrokerFixture.Peer alice = broker.session(broker.addMember(mesh, "alice"), "s-a");
        createTopic(alice.ws(), "flood", null);
        String key = secret(mintKey(alice.ws(), "[\"read\",\"send\"]", null));
        int posts = 160;
        String body = Base64.getEncoder().encodeToString(new byte[45_000]); // 60 000 chars per event

        try (Socket s = new Socket()) {
            s.setReceiveBufferSize(4096); // a small window, so the broker's side fills up
            s.connect(new java.net.InetSocketAddress("127.0.0.1", broker.port()), 5_000);
            OutputStream out = s.getOutputStream();
            out.write(("GET /api/v1/topics/flood/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key
                    + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            // the client reads nothing while ~9.6 MB of events are produced (more than the socket buffers hold)
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < posts; i++) {
                ids.add(post(key, "flood", body));
            }
            // now read: the broker closed the stream, so this ends (EOF) after fewer events than were posted
            s.setSoTimeout(30_000);
            InputStream in = s.getInputStream();
            byte[] buf = new byte[65_536];
            StringBuilder tail = new StringBuilder();
            int events = 0;
            int n;
            while ((n = in.read(buf)) > 0) {
                tail.append(new String(buf, 0, n, StandardCharsets.US_ASCII));
                int at;
                while ((at = tail.indexOf("event: message\n")) >= 0) {
                    events++;
                    tail.delete(0, at + 1);
                }
                if (tail.length() > 200) {
                    tail.delete(0, tail.length() - 200);
                }
            }
            assertThat(n).isEqualTo(-1);
            assertThat(events).isLessThan(posts);
            // nothing is lost for a client that resumes from the last id it got: everything is still in history
            try (SseClient resumed = SseClient.open(broker.port(), "/api/v1/topics/flood/stream", key,
                    ids.get(posts - 3))) {
                assertThat(resumed.nextMessage().id()).isEqualTo(ids.get(posts - 2));
                assertThat(resumed.nextMessage().id()).isEqualTo(ids.get(posts - 1));
            }
        }
    }
}
