package dev.claudemesh.broker.netty.it;

import dev.claudemesh.broker.core.crypto.Ed25519;
import dev.claudemesh.broker.core.testing.Identities;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.http.HttpResponse;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.claudemesh.broker.netty.it.BrokerFixture.jsonField;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code GET /metrics} (PROTOCOL §6) scraped from a real broker before and after known traffic: every required
 * series is exposed, and each counter moved by exactly what the traffic should have caused. The exposition text is
 * parsed into {@code series → value}, where a series is its name plus its label set as written.
 *
 * <p>Own broker, so no other test's traffic moves these counters. Sends are limited to a burst of 5 per member
 * (refilled at 1/min, so not within the test) to make one {@code rate_limit} rejection predictable; hooks to 2 per
 * pid:cwd per minute.</p>
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MetricsIT {

    private static final String NONCE = "bm9uY2U=";
    private static final String CT = "Y291bnRlZA==";
    /** Prometheus text format: {@code name{labels} value [timestamp]}. */
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[^}]*\\})?\\s+(\\S+)");

    /** The series PROTOCOL §6 requires, as they appear in the exposition. */
    private static final List<String> REQUIRED = List.of(
            "broker_connections_total",
            "broker_connections_rejected_total{reason=\"bad_signature\"}",
            "broker_connections_active",
            "broker_messages_routed_total{priority=\"now\"}",
            "broker_messages_routed_total{priority=\"next\"}",
            "broker_messages_routed_total{priority=\"low\"}",
            "broker_messages_rejected_total{reason=\"invalid\"}",
            "broker_messages_dropped_by_grant_total{cap=\"dm\"}",
            "broker_messages_dropped_by_grant_total{cap=\"broadcast\"}",
            "broker_queue_depth",
            "broker_dm_payload_buffers",
            "broker_ttl_sweeps_total",
            "broker_hook_requests_total",
            "broker_hook_requests_rate_limited_total",
            "broker_db_healthy");

    private BrokerFixture broker;

    @BeforeAll
    void start() throws Exception {
        broker = new BrokerFixture(Map.of(
                "SEND_RATE_LIMIT_PER_MIN", "1",
                "SEND_RATE_BURST", "5",
                "MAX_MESSAGE_BYTES", "1024",
                "HOOK_RATE_LIMIT_PER_MIN", "2",
                "BROKER_STATUS_SWEEP_MS", "100"));
    }

    @AfterAll
    void stop() {
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void shouldExposeEveryRequiredSeriesWithTypeAndHelp() throws Exception {
        HttpResponse<String> r = broker.request("GET", "/metrics", null, null);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(
                ct -> assertThat(ct).startsWith("text/plain").contains("version=0.0.4"));
        Map<String, Double> m = parse(r.body());
        assertThat(m.keySet()).containsAll(REQUIRED);
        for (String family : List.of("broker_connections_total", "broker_connections_rejected_total",
                "broker_messages_routed_total", "broker_messages_rejected_total",
                "broker_messages_dropped_by_grant_total", "broker_ttl_sweeps_total", "broker_hook_requests_total",
                "broker_hook_requests_rate_limited_total")) {
            assertThat(r.body()).contains("# TYPE " + family + " counter").contains("# HELP " + family + " ");
        }
        for (String gauge : List.of("broker_connections_active", "broker_queue_depth", "broker_db_healthy")) {
            assertThat(r.body()).contains("# TYPE " + gauge + " gauge");
        }
        assertThat(m.get("broker_db_healthy")).isEqualTo(1.0);
    }

    @Test
    void shouldCountTrafficExactly() throws Exception {
        Map<String, Double> before = scrape();

        String mesh = broker.createMesh("metrics");
        Identities.MemberKeys alice = broker.addMember(mesh, "alice");
        Identities.MemberKeys bob = broker.addMember(mesh, "bob");
        // carol lets alice read only: no dm, no broadcast
        Identities.MemberKeys carol = broker.addMember(mesh, "carol",
                "\"peerGrants\":{\"" + alice.pubkey() + "\":[\"read\"]}");

        // hellos: 3 accepted, 3 rejected for different reasons
        BrokerFixture.Peer a = broker.session(alice, "a");
        BrokerFixture.Peer b = broker.session(bob, "b");
        BrokerFixture.Peer c = broker.session(carol, "c");
        assertRejected(tamperedSignature(bob), "bad_signature");
        assertRejected(Identities.sessionHello(new Identities.MemberKeys(mesh, "nobodyNobodyNobodyNobodyNobody00",
                Ed25519.generate()), Ed25519.generate(), "x", System.currentTimeMillis(), 3_600_000, "x", null),
                "unauthorized");
        assertRejected(Identities.sessionHello(bob, Ed25519.generate(), "old", System.currentTimeMillis() - 120_000,
                3_600_000, "old", null), "timestamp_skew");

        // alice: 5 sends, her whole burst
        String nowId = ackedId(a, Identities.send("m1", b.key(), "now", NONCE, CT));
        String lowId = ackedId(a, Identities.send("m2", b.key(), "low", NONCE, CT));
        assertFailedAck(a, Identities.send("m3", c.key(), "now", NONCE, CT), "blocked by recipient grants");
        String bcastId = ackedId(a, Identities.send("m4", "*", "next", NONCE, "aGk="));
        assertFailedAck(a, Identities.send("m5", b.key(), "urgent", NONCE, CT), "invalid: ");
        // bob: 5 sends, then one over his burst
        assertFailedAck(b, Identities.send("m6", "ab".repeat(32), "now", NONCE, CT), "no connected peer");
        assertFailedAck(b, Identities.send("m7", a.key(), "now", NONCE, "QUFB".repeat(300)), "payload_too_large: ");
        String[] bobToAlice = new String[3];
        for (int i = 0; i < 3; i++) {
            bobToAlice[i] = ackedId(b, Identities.send("m8-" + i, a.key(), "next", NONCE, CT));
        }
        assertFailedAck(b, Identities.send("m9", a.key(), "next", NONCE, CT), "rate_limit: ");
        // the broadcast reached bob but not carol (no broadcast grant)
        b.ws().await("\"messageId\":\"" + bcastId + "\"");
        b.ws().await("\"messageId\":\"" + nowId + "\"");
        b.ws().await("\"messageId\":\"" + lowId + "\"");
        for (String id : bobToAlice) {
            a.ws().await("\"messageId\":\"" + id + "\"");
        }
        assertThat(c.ws().all(bcastId)).isEmpty();

        // hooks: 3 to one pid:cwd (the third is limited), one bad body (counted, not limited)
        String hook = "{\"cwd\":\"/metrics/hook\",\"pid\":77,\"status\":\"working\"}";
        assertThat(broker.request("POST", "/hook/set-status", hook, null).statusCode()).isEqualTo(200);
        assertThat(broker.request("POST", "/hook/set-status", hook, null).statusCode()).isEqualTo(200);
        assertThat(broker.request("POST", "/hook/set-status", hook, null).statusCode()).isEqualTo(429);
        assertThat(broker.request("POST", "/hook/set-status", "{oops", null).statusCode()).isEqualTo(400);

        // carol: a PROTOCOL-MESH type this broker refuses (§15), an invented one and a bad set_status
        c.ws().send("{\"type\":\"vector_store\",\"collection\":\"k\",\"text\":\"t\",\"_reqId\":\"u1\"}");
        c.ws().send("{\"type\":\"no_such_type\",\"_reqId\":\"u2\"}");
        c.ws().send("{\"type\":\"set_status\",\"status\":\"asleep\",\"_reqId\":\"u3\"}");
        assertThat(c.ws().await("\"_reqId\":\"u1\"")).contains("\"code\":\"unsupported_feature\"");
        assertThat(c.ws().await("\"_reqId\":\"u2\"")).contains("\"code\":\"unknown_message_type\"");
        assertThat(c.ws().await("\"_reqId\":\"u3\"")).contains("\"code\":\"bad_request\"");

        // the TTL sweep runs every 100 ms per mesh: on a fast machine the traffic above can finish before the first one
        Map<String, Double> during = awaitScrape(m -> delta(before, m, "broker_connections_active") == 3
                && delta(before, m, "broker_ttl_sweeps_total") > 0);
        assertThat(delta(before, during, "broker_connections_total")).isEqualTo(3);
        assertThat(delta(before, during, "broker_connections_active")).isEqualTo(3);
        assertThat(delta(before, during, "broker_connections_rejected_total{reason=\"bad_signature\"}")).isEqualTo(1);
        assertThat(delta(before, during, "broker_connections_rejected_total{reason=\"unauthorized\"}")).isEqualTo(1);
        assertThat(delta(before, during, "broker_connections_rejected_total{reason=\"timestamp_skew\"}")).isEqualTo(1);
        assertThat(delta(before, during, "broker_connections_rejected_total{reason=\"capacity\"}")).isZero();
        assertThat(delta(before, during, "broker_messages_routed_total{priority=\"now\"}")).isEqualTo(1);
        assertThat(delta(before, during, "broker_messages_routed_total{priority=\"low\"}")).isEqualTo(1);
        assertThat(delta(before, during, "broker_messages_routed_total{priority=\"next\"}")).isEqualTo(4);
        assertThat(delta(before, during, "broker_messages_rejected_total{reason=\"grants\"}")).isEqualTo(1);
        assertThat(delta(before, during, "broker_messages_rejected_total{reason=\"invalid\"}")).isEqualTo(1);
        assertThat(delta(before, during, "broker_messages_rejected_total{reason=\"no_peer\"}")).isEqualTo(1);
        assertThat(delta(before, during, "broker_messages_rejected_total{reason=\"payload_too_large\"}")).isEqualTo(1);
        assertThat(delta(before, during, "broker_messages_rejected_total{reason=\"rate_limit\"}")).isEqualTo(1);
        assertThat(delta(before, during, "broker_messages_dropped_by_grant_total{cap=\"dm\"}")).isEqualTo(1);
        assertThat(delta(before, during, "broker_messages_dropped_by_grant_total{cap=\"broadcast\"}")).isEqualTo(1);
        // the 5 DMs are pushed but not yet acked by their recipients
        assertThat(delta(before, during, "broker_queue_depth")).isEqualTo(5);
        // ... their payloads in pooled buffers: the writer let go of its reference at the commit (alice was acked)
        assertThat(delta(before, during, "broker_dm_payload_buffers")).isEqualTo(5);
        assertThat(delta(before, during, "broker_hook_requests_total")).isEqualTo(4);
        assertThat(delta(before, during, "broker_hook_requests_rate_limited_total")).isEqualTo(1);
        assertThat(delta(before, during, "broker_ttl_sweeps_total")).isPositive();
        assertThat(during.get("broker_db_healthy")).isEqualTo(1.0);
        assertThat(delta(before, during, "broker_requests_total{type=\"send\"}")).isEqualTo(11);
        assertThat(delta(before, during, "broker_requests_total{type=\"set_status\"}")).isEqualTo(1);
        assertThat(delta(before, during, "broker_request_errors_total{code=\"bad_request\",type=\"set_status\"}"))
                .isEqualTo(1);
        assertThat(delta(before, during, "broker_request_errors_total{code=\"unsupported_feature\",type=\"vector_store\"}"))
                .isEqualTo(1);
        String vectorStoreUnknown = "broker_messages_unknown_total{type=\"vector_store\"}";
        assertThat(during.getOrDefault(vectorStoreUnknown, 0.0)).as("served, so not unknown")
                .isEqualTo(before.getOrDefault(vectorStoreUnknown, 0.0));
        assertThat(delta(before, during, "broker_messages_unknown_total{type=\"other\"}")).isEqualTo(1);

        // recipients ack, everyone leaves: the gauges return, the counters stay
        clientAck(b, "m1", nowId);
        clientAck(b, "m2", lowId);
        for (int i = 0; i < 3; i++) {
            clientAck(a, "m8-" + i, bobToAlice[i]);
        }
        a.ws().close();
        b.ws().close();
        c.ws().close();
        Map<String, Double> after = awaitScrape(m -> delta(before, m, "broker_connections_active") == 0
                && delta(before, m, "broker_queue_depth") == 0 && delta(before, m, "broker_dm_payload_buffers") == 0
                && delta(during, m, "broker_ttl_sweeps_total") > 0);
        assertThat(delta(before, after, "broker_connections_active")).isZero();
        assertThat(delta(before, after, "broker_queue_depth")).isZero();
        assertThat(delta(before, after, "broker_dm_payload_buffers")).as("every payload freed").isZero();
        assertThat(delta(before, after, "broker_connections_total")).isEqualTo(3);
        assertThat(delta(before, after, "broker_messages_routed_total{priority=\"next\"}")).isEqualTo(4);
        assertThat(delta(during, after, "broker_ttl_sweeps_total")).isPositive();
    }

    // ------------------------------------------------------------------------------------------ helpers

    private static String tamperedSignature(Identities.MemberKeys member) {
        String hello = Identities.sessionHello(member, Ed25519.generate(), "forged", System.currentTimeMillis(),
                3_600_000, "forged", null);
        // the outer signature is the last field: flip its last hex digit
        int end = hello.lastIndexOf("\"}");
        char last = hello.charAt(end - 1);
        return hello.substring(0, end - 1) + (last == '0' ? '1' : '0') + hello.substring(end);
    }

    private void assertRejected(String hello, String code) {
        WsClient ws = broker.ws();
        ws.send(hello);
        assertThat(ws.awaitType("error")).contains("\"code\":\"" + code + "\"");
        assertThat(ws.awaitClose(5_000)).isEqualTo(1008);
    }

    private static String ackedId(BrokerFixture.Peer from, String send) {
        from.ws().send(send);
        String ack = from.ws().awaitType("ack");
        assertThat(ack).contains("\"queued\":true");
        return jsonField(ack, "messageId");
    }

    private static void assertFailedAck(BrokerFixture.Peer from, String send, String errorPrefix) {
        from.ws().send(send);
        String ack = from.ws().awaitType("ack");
        assertThat(ack).contains("\"queued\":false").contains("\"error\":\"" + errorPrefix);
    }

    private static void clientAck(BrokerFixture.Peer by, String clientId, String brokerId) {
        by.ws().send("{\"type\":\"client_ack\",\"clientMessageId\":\"" + clientId + "\",\"brokerMessageId\":\""
                + brokerId + "\"}");
    }

    private Map<String, Double> scrape() throws Exception {
        HttpResponse<String> r = broker.request("GET", "/metrics", null, null);
        assertThat(r.statusCode()).isEqualTo(200);
        return parse(r.body());
    }

    /** Scrapes until {@code done} holds (gauges follow socket closes asynchronously); bounded at 5 s. */
    private Map<String, Double> awaitScrape(Predicate<Map<String, Double>> done) throws Exception {
        long deadline = System.currentTimeMillis() + 5_000;
        Map<String, Double> m = scrape();
        while (!done.test(m) && System.currentTimeMillis() < deadline) {
            Thread.sleep(50);
            m = scrape();
        }
        return m;
    }

    private static long delta(Map<String, Double> before, Map<String, Double> after, String series) {
        assertThat(after).as("series %s exposed", series).containsKey(series);
        return Math.round(after.get(series) - before.getOrDefault(series, 0.0));
    }

    static Map<String, Double> parse(String exposition) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (String line : exposition.split("\n")) {
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            Matcher m = SAMPLE.matcher(line);
            if (m.find()) {
                out.put(m.group(1) + (m.group(2) == null ? "" : m.group(2)), Double.parseDouble(m.group(3)));
            }
        }
        return out;
    }
}
