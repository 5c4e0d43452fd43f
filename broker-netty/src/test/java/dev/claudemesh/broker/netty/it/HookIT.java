package dev.claudemesh.broker.netty.it;

import dev.claudemesh.broker.core.crypto.Ed25519;
import dev.claudemesh.broker.core.testing.Identities;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.claudemesh.broker.netty.it.BrokerFixture.jsonField;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code POST /hook/set-status} end to end (PROTOCOL §5, §6): every answer the route gives, and the status rules
 * that hooks feed — ranking against {@code set_status} within and after {@code HOOK_FRESH_WINDOW_SECONDS}, dnd kept,
 * and the TTL flip that releases held DMs. Status is observed the way peers see it, through {@code list_peers}.
 *
 * <p>Two brokers: {@link #broker} with a hook token, a 3/min hook bucket, a 4 KiB message limit and a 30 s fresh
 * window; {@link #ttlBroker} with open hooks and the status TTL swept every 100 ms. Each reads an {@link OffsetClock}
 * that a test moves forward to cross the fresh window or the TTL, so nothing sleeps and "inside the window" holds
 * however slow the machine is; peers sign their hellos with the same clock. The code paths are the production ones.
 * Each test uses its own cwd, so hook buckets and pending entries of one test never meet another's.</p>
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HookIT {

    private static final String HOOK_TOKEN = "hook-token-for-tests";
    private static final int MAX_MESSAGE_BYTES = 4096;
    private static final long FRESH_WINDOW_MS = 30_000;
    private static final long STATUS_TTL_MS = 30_000;
    private static final String NONCE = "bm9uY2U=";
    private static final String CT = "aGVsZCB1bnRpbCBpZGxl";

    private final OffsetClock clock = new OffsetClock();
    private final OffsetClock ttlClock = new OffsetClock();
    private BrokerFixture broker;
    private BrokerFixture ttlBroker;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final AtomicInteger reqIds = new AtomicInteger();

    @BeforeAll
    void start() throws Exception {
        broker = new BrokerFixture(Map.of(
                "BROKER_HOOK_TOKEN", HOOK_TOKEN,
                "HOOK_RATE_LIMIT_PER_MIN", "3",
                "MAX_MESSAGE_BYTES", String.valueOf(MAX_MESSAGE_BYTES),
                "HOOK_FRESH_WINDOW_SECONDS", String.valueOf(FRESH_WINDOW_MS / 1000),
                "SEND_RATE_LIMIT_PER_MIN", "0"), clock);
        ttlBroker = new BrokerFixture(Map.of(
                "STATUS_TTL_SECONDS", String.valueOf(STATUS_TTL_MS / 1000),
                "BROKER_STATUS_SWEEP_MS", "100",
                "SEND_RATE_LIMIT_PER_MIN", "0"), ttlClock);
    }

    @AfterAll
    void stop() {
        if (broker != null) {
            broker.close();
        }
        if (ttlBroker != null) {
            ttlBroker.close();
        }
    }

    // ------------------------------------------------------------------------------------------ answers

    @Test
    void shouldApplyHookStatusToLeaseWithSamePidAndCwd() throws Exception {
        String mesh = broker.createMesh("hook-applied");
        BrokerFixture.Peer alice = session(broker, broker.addMember(mesh, "alice"), 101, "/hook/applied", "a");
        assertThat(statusOf(alice, alice)).isEqualTo("idle");

        HttpResponse<String> r = hook(broker, "{\"cwd\":\"/hook/applied\",\"pid\":101,\"status\":\"working\","
                + "\"session_id\":\"s-1\"}", HOOK_TOKEN);

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("{\"ok\":true,\"presence_id\":\"" + alice.presenceId() + "\"}");
        assertThat(r.headers().firstValue("Access-Control-Allow-Origin")).hasValue("*");
        assertThat(statusOf(alice, alice)).isEqualTo("working");
        alice.ws().close();
    }

    @Test
    void shouldResolveByPidElseNewestLeaseWithSameCwd() throws Exception {
        String mesh = broker.createMesh("hook-resolve");
        Identities.MemberKeys bob = broker.addMember(mesh, "bob");
        BrokerFixture.Peer older = session(broker, bob, 201, "/hook/shared", "older");
        clock.advance(20); // distinct connectedAt
        BrokerFixture.Peer newer = session(broker, bob, 202, "/hook/shared", "newer");

        HttpResponse<String> byPid = hook(broker, "{\"cwd\":\"/hook/shared\",\"pid\":201,\"status\":\"working\"}",
                HOOK_TOKEN);
        assertThat(jsonField(byPid.body(), "presence_id")).isEqualTo(older.presenceId());
        HttpResponse<String> unknownPid = hook(broker, "{\"cwd\":\"/hook/shared\",\"pid\":999,\"status\":\"dnd\"}",
                HOOK_TOKEN);
        assertThat(jsonField(unknownPid.body(), "presence_id")).isEqualTo(newer.presenceId());
        // pid as a string of digits, as shell hooks send it
        HttpResponse<String> stringPid = hook(broker, "{\"cwd\":\"/hook/shared\",\"pid\":\"201\",\"status\":\"working\"}",
                HOOK_TOKEN);
        assertThat(jsonField(stringPid.body(), "presence_id")).isEqualTo(older.presenceId());

        assertThat(statusOf(older, older)).isEqualTo("working");
        assertThat(statusOf(older, newer)).isEqualTo("dnd");
        older.ws().close();
        newer.ws().close();
    }

    @Test
    void shouldRememberHookUntilLeaseWithThatPidAndCwdArrives() throws Exception {
        String mesh = broker.createMesh("hook-pending");
        Identities.MemberKeys carol = broker.addMember(mesh, "carol");

        HttpResponse<String> r = hook(broker, "{\"cwd\":\"/hook/pending\",\"pid\":301,\"status\":\"working\"}",
                HOOK_TOKEN);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("{\"ok\":true,\"pending\":true}");

        // another pid in the same cwd is not the lease the hook meant
        BrokerFixture.Peer otherPid = session(broker, carol, 302, "/hook/pending", "other");
        assertThat(statusOf(otherPid, otherPid)).isEqualTo("idle");
        BrokerFixture.Peer meant = session(broker, carol, 301, "/hook/pending", "meant");
        assertThat(statusOf(meant, meant)).isEqualTo("working");
        otherPid.ws().close();
        meant.ws().close();
    }

    @Test
    void shouldRejectBadJsonAndMissingFieldsWith400() throws Exception {
        assertAnswer(hook(broker, "{\"cwd\":", HOOK_TOKEN), 400, "{\"ok\":false,\"error\":\"bad json\"}");
        assertAnswer(hook(broker, "cwd=/w&status=idle", HOOK_TOKEN), 400, "{\"ok\":false,\"error\":\"bad json\"}");
        assertAnswer(hook(broker, "[\"/w\",\"idle\"]", HOOK_TOKEN), 400, "{\"ok\":false,\"error\":\"bad json\"}");
        assertAnswer(hook(broker, "", HOOK_TOKEN), 400, "{\"ok\":false,\"error\":\"bad json\"}");
        String required = "{\"ok\":false,\"error\":\"cwd and status required\"}";
        assertAnswer(hook(broker, "{\"status\":\"idle\",\"pid\":1}", HOOK_TOKEN), 400, required);
        assertAnswer(hook(broker, "{\"cwd\":\"/hook/400\",\"pid\":1}", HOOK_TOKEN), 400, required);
        assertAnswer(hook(broker, "{\"cwd\":\"\",\"status\":\"idle\"}", HOOK_TOKEN), 400, required);
        assertAnswer(hook(broker, "{\"cwd\":7,\"status\":\"idle\"}", HOOK_TOKEN), 400, required);
        assertAnswer(hook(broker, "{\"cwd\":\"/hook/400\",\"status\":\"sleeping\"}", HOOK_TOKEN), 400,
                "{\"ok\":false,\"error\":\"status must be idle, working or dnd\"}");
        assertAnswer(hook(broker, "{\"cwd\":\"/hook/400\",\"pid\":\"abc\",\"status\":\"idle\"}", HOOK_TOKEN), 400,
                "{\"ok\":false,\"error\":\"pid must be an integer\"}");
    }

    @Test
    void shouldRequireBearerTokenWhenHookTokenIsSet() throws Exception {
        String body = "{\"cwd\":\"/hook/auth\",\"pid\":401,\"status\":\"idle\"}";
        String unauthorized = "{\"ok\":false,\"error\":\"unauthorized\"}";
        assertAnswer(hook(broker, body, null), 401, unauthorized);
        assertAnswer(hook(broker, body, "not-the-token"), 401, unauthorized);
        assertAnswer(hook(broker, body, HOOK_TOKEN + "x"), 401, unauthorized);
        HttpResponse<String> basic = send(broker, body, "Basic " + HOOK_TOKEN);
        assertAnswer(basic, 401, unauthorized);
        // a refused request is not a bad one: the token check comes before the body is read
        assertAnswer(hook(broker, "{not json", null), 401, unauthorized);

        assertAnswer(hook(broker, body, HOOK_TOKEN), 200, "{\"ok\":true,\"pending\":true}");
    }

    @Test
    void shouldRefuseBodyOverMaxMessageBytesWith413() throws Exception {
        String atLimit = padTo("{\"cwd\":\"/hook/size\",\"pid\":501,\"status\":\"idle\"}", MAX_MESSAGE_BYTES);
        assertAnswer(hook(broker, atLimit, HOOK_TOKEN), 200, "{\"ok\":true,\"pending\":true}");

        String overLimit = padTo("{\"cwd\":\"/hook/size\",\"pid\":502,\"status\":\"idle\"}", MAX_MESSAGE_BYTES + 1);
        assertAnswer(hook(broker, overLimit, HOOK_TOKEN), 413, "{\"ok\":false,\"error\":\"payload too large\"}");
        String wayOver = padTo("{\"cwd\":\"/hook/size\",\"pid\":503,\"status\":\"idle\"}", 10 * MAX_MESSAGE_BYTES);
        assertAnswer(hook(broker, wayOver, HOOK_TOKEN), 413, "{\"ok\":false,\"error\":\"payload too large\"}");
    }

    /**
     * The 413 goes out as soon as the head says the body is too large, while the client is still sending it; the JDK's
     * client reads the answer only once its body is out. Closing at once reset the connection under the client, which
     * then failed with "header parser received no bytes" now and then; the lingering close reads and drops the rest,
     * so the answer always arrives. The body (512 KiB, fixed length or chunked, where the limit is crossed mid-body) is
     * far larger than the socket buffers, so the client is still sending when the 413 is written; it stays under the
     * lingering's byte bound ({@code PipelineLimits.DEFAULT_HTTP_LINGER_MAX_BYTES}).
     */
    @RepeatedTest(30)
    void shouldDeliverThe413WhileTheClientIsStillSendingItsBody() throws Exception {
        String body = padTo("{\"cwd\":\"/hook/size\",\"pid\":504,\"status\":\"idle\"}", 128 * MAX_MESSAGE_BYTES);
        assertAnswer(hook(broker, body, HOOK_TOKEN), 413, "{\"ok\":false,\"error\":\"payload too large\"}");

        byte[] bytes = body.getBytes(StandardCharsets.US_ASCII);
        HttpRequest chunked = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + broker.port() + "/hook/set-status"))
                .timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + HOOK_TOKEN)
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(bytes)))
                .build();
        assertAnswer(http.send(chunked, HttpResponse.BodyHandlers.ofString()), 413,
                "{\"ok\":false,\"error\":\"payload too large\"}");
    }

    /** Small bodies on one keep-alive connection: each answered, the connection kept (no lingering close). */
    @Test
    void shouldServeSmallBodiesOnOneKeepAliveConnection() throws Exception {
        try (RawWs s = RawWs.tcp(broker.port(), 0)) {
            for (int pid = 511; pid <= 513; pid++) {
                String body = "{\"cwd\":\"/hook/keep-alive\",\"pid\":" + pid + ",\"status\":\"idle\"}";
                s.writeRaw(("POST /hook/set-status HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + HOOK_TOKEN
                        + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body)
                        .getBytes(StandardCharsets.US_ASCII));
                String head = s.readHttpHead();
                assertThat(head).as("answer to pid %d", pid).startsWith("HTTP/1.1 200 ")
                        .doesNotContainIgnoringCase("connection: close");
                Matcher length = Pattern.compile("(?im)^content-length: *(\\d+)").matcher(head);
                assertThat(length.find()).as(head).isTrue();
                byte[] answer = s.socket().getInputStream().readNBytes(Integer.parseInt(length.group(1)));
                assertThat(new String(answer, StandardCharsets.UTF_8)).isEqualTo("{\"ok\":true,\"pending\":true}");
            }
        }
    }

    @Test
    void shouldRateLimitPerPidAndCwdWith429() throws Exception {
        String body = "{\"cwd\":\"/hook/rate\",\"pid\":601,\"status\":\"working\"}";
        for (int i = 0; i < 3; i++) {
            assertThat(hook(broker, body, HOOK_TOKEN).statusCode()).as("request %d", i + 1).isEqualTo(200);
        }
        assertAnswer(hook(broker, body, HOOK_TOKEN), 429, "{\"ok\":false,\"error\":\"rate limited\"}");
        assertAnswer(hook(broker, body, HOOK_TOKEN), 429, "{\"ok\":false,\"error\":\"rate limited\"}");
        // the bucket is per pid:cwd — another process in the same directory, or the same pid elsewhere, is not limited
        assertThat(hook(broker, "{\"cwd\":\"/hook/rate\",\"pid\":602,\"status\":\"working\"}", HOOK_TOKEN)
                .statusCode()).isEqualTo(200);
        assertThat(hook(broker, "{\"cwd\":\"/hook/rate-2\",\"pid\":601,\"status\":\"working\"}", HOOK_TOKEN)
                .statusCode()).isEqualTo(200);
    }

    // ------------------------------------------------------------------------------------------ status rules

    @Test
    void shouldNeverClearDndFromHook() throws Exception {
        String mesh = broker.createMesh("hook-dnd");
        Identities.MemberKeys dave = broker.addMember(mesh, "dave");
        BrokerFixture.Peer manualDnd = session(broker, dave, 701, "/hook/dnd-manual", "m");
        manualDnd.ws().send("{\"type\":\"set_status\",\"status\":\"dnd\"}");
        assertThat(statusOf(manualDnd, manualDnd)).isEqualTo("dnd");

        HttpResponse<String> r = hook(broker, "{\"cwd\":\"/hook/dnd-manual\",\"pid\":701,\"status\":\"working\"}",
                HOOK_TOKEN);
        // the hook is answered (the lease was found) but the status stays dnd
        assertAnswer(r, 200, "{\"ok\":true,\"presence_id\":\"" + manualDnd.presenceId() + "\"}");
        assertThat(statusOf(manualDnd, manualDnd)).isEqualTo("dnd");
        hook(broker, "{\"cwd\":\"/hook/dnd-manual\",\"pid\":701,\"status\":\"idle\"}", HOOK_TOKEN);
        assertThat(statusOf(manualDnd, manualDnd)).isEqualTo("dnd");

        // dnd set by a hook is kept against later hooks too
        BrokerFixture.Peer hookDnd = session(broker, dave, 702, "/hook/dnd-hook", "h");
        hook(broker, "{\"cwd\":\"/hook/dnd-hook\",\"pid\":702,\"status\":\"dnd\"}", HOOK_TOKEN);
        assertThat(statusOf(hookDnd, hookDnd)).isEqualTo("dnd");
        hook(broker, "{\"cwd\":\"/hook/dnd-hook\",\"pid\":702,\"status\":\"idle\"}", HOOK_TOKEN);
        assertThat(statusOf(hookDnd, hookDnd)).isEqualTo("dnd");
        manualDnd.ws().close();
        hookDnd.ws().close();
    }

    @Test
    void shouldKeepFreshHookStatusAgainstSetStatusUntilWindowPasses() throws Exception {
        String mesh = broker.createMesh("hook-fresh");
        BrokerFixture.Peer erin = session(broker, broker.addMember(mesh, "erin"), 801, "/hook/fresh", "e");

        assertThat(hook(broker, "{\"cwd\":\"/hook/fresh\",\"pid\":801,\"status\":\"working\"}", HOOK_TOKEN)
                .statusCode()).isEqualTo(200);

        // the broker's clock has not moved: this set_status is inside the fresh window, whatever the machine's speed
        erin.ws().send("{\"type\":\"set_status\",\"status\":\"idle\"}");
        assertThat(statusOf(erin, erin)).isEqualTo("working");

        clock.advance(FRESH_WINDOW_MS);
        erin.ws().send("{\"type\":\"set_status\",\"status\":\"idle\"}");
        assertThat(statusOf(erin, erin)).isEqualTo("idle");
        erin.ws().close();
    }

    /**
     * Issue 11 §6 over real sockets and the real hook route: a hook sets working; inside the fresh window the user
     * sets dnd, which takes effect at once; a hook then reports idle and the peer stays dnd; the user's own idle clears
     * it.
     */
    @Test
    void shouldTakeTheUsersDndInsideTheHookWindowAndKeepItUntilTheUserClearsIt() throws Exception {
        String mesh = broker.createMesh("hook-dnd-window");
        BrokerFixture.Peer fay = session(broker, broker.addMember(mesh, "fay"), 851, "/hook/dnd-window", "f");
        String applied = "{\"ok\":true,\"presence_id\":\"" + fay.presenceId() + "\"}";

        assertAnswer(hook(broker, "{\"cwd\":\"/hook/dnd-window\",\"pid\":851,\"status\":\"working\"}", HOOK_TOKEN),
                200, applied);
        assertThat(statusOf(fay, fay)).isEqualTo("working");

        fay.ws().send("{\"type\":\"set_status\",\"status\":\"dnd\"}");
        assertThat(statusOf(fay, fay)).isEqualTo("dnd");

        assertAnswer(hook(broker, "{\"cwd\":\"/hook/dnd-window\",\"pid\":851,\"status\":\"idle\"}", HOOK_TOKEN),
                200, applied);
        assertThat(statusOf(fay, fay)).isEqualTo("dnd");

        fay.ws().send("{\"type\":\"set_status\",\"status\":\"idle\"}");
        assertThat(statusOf(fay, fay)).isEqualTo("idle");
        fay.ws().close();
    }

    @Test
    void shouldFlipHookWorkingToIdleAfterTtlAndPushHeldNextDm() throws Exception {
        String mesh = ttlBroker.createMesh("ttl-hook");
        BrokerFixture.Peer alice = session(ttlBroker, ttlBroker.addMember(mesh, "alice"), 901, "/ttl/a", "a");
        BrokerFixture.Peer bob = session(ttlBroker, ttlBroker.addMember(mesh, "bob"), 902, "/ttl/b", "b");

        assertAnswer(hook(ttlBroker, "{\"cwd\":\"/ttl/b\",\"pid\":902,\"status\":\"working\"}", null), 200,
                "{\"ok\":true,\"presence_id\":\"" + bob.presenceId() + "\"}");
        assertHeldThenReleasedByTtl(alice, bob, "ttl-hook-1");
        alice.ws().close();
        bob.ws().close();
    }

    @Test
    void shouldFlipManualWorkingToIdleAfterTtlButKeepDnd() throws Exception {
        String mesh = ttlBroker.createMesh("ttl-manual");
        BrokerFixture.Peer alice = session(ttlBroker, ttlBroker.addMember(mesh, "alice"), 911, "/ttl/m-a", "a");
        BrokerFixture.Peer bob = session(ttlBroker, ttlBroker.addMember(mesh, "bob"), 912, "/ttl/m-b", "b");
        BrokerFixture.Peer carol = session(ttlBroker, ttlBroker.addMember(mesh, "carol"), 913, "/ttl/m-c", "c");

        carol.ws().send("{\"type\":\"set_status\",\"status\":\"dnd\"}");
        assertThat(statusOf(carol, carol)).isEqualTo("dnd");
        alice.ws().send(Identities.send("dnd-next", carol.key(), "next", NONCE, CT));
        String toCarol = jsonField(alice.ws().awaitType("ack"), "messageId");

        bob.ws().send("{\"type\":\"set_status\",\"status\":\"working\"}");
        assertThat(statusOf(bob, bob)).isEqualTo("working");
        assertHeldThenReleasedByTtl(alice, bob, "ttl-manual-1");

        // the sweep that released bob's DM left dnd alone: carol's `next` DM is still held. Her peers_list answer
        // comes after anything that sweep pushed to her.
        assertThat(statusOf(carol, carol)).isEqualTo("dnd");
        assertThat(carol.ws().all(toCarol)).isEmpty();
        alice.ws().close();
        bob.ws().close();
        carol.ws().close();
    }

    /**
     * {@code bob} is working: a {@code next} DM from alice is acked and held; once the TTL has passed on the broker's
     * clock, the sweep flips him to idle and pushes it, once.
     */
    private void assertHeldThenReleasedByTtl(BrokerFixture.Peer alice, BrokerFixture.Peer bob, String clientId) {
        alice.ws().send(Identities.send(clientId, bob.key(), "next", NONCE, CT));
        String ack = alice.ws().awaitType("ack");
        assertThat(ack).contains("\"queued\":true");
        String id = jsonField(ack, "messageId");
        // bob's peers_list answer comes after any push the send made to him: none, he is working
        assertThat(statusOf(bob, bob)).isEqualTo("working");
        assertThat(bob.ws().all(id)).isEmpty();

        ttlClock.advance(STATUS_TTL_MS);
        String push = bob.ws().await(s -> s.contains("\"messageId\":\"" + id + "\""), 10_000);
        assertThat(push).contains("\"type\":\"push\"").contains("\"priority\":\"next\"")
                .contains("\"ciphertext\":\"" + CT + "\"");
        assertThat(statusOf(alice, bob)).isEqualTo("idle");
        assertThat(bob.ws().all("\"messageId\":\"" + id + "\"")).hasSize(1);
    }

    // ------------------------------------------------------------------------------------------ helpers

    /**
     * A session whose hello carries {@code pid} and {@code cwd} (they are not signed, so they can be set freely),
     * signed at the time of {@code f}'s clock.
     */
    private BrokerFixture.Peer session(BrokerFixture f, Identities.MemberKeys m, long pid, String cwd,
                                       String sessionId) {
        Ed25519.KeyPair keys = Ed25519.generate();
        long now = (f == broker ? clock : ttlClock).millis();
        String standard = Identities.sessionHello(m, keys, sessionId, now, 3_600_000, "n-" + sessionId, null);
        String hello = standard.replace("\"pid\":5150,\"cwd\":\"/w\"", "\"pid\":" + pid + ",\"cwd\":\"" + cwd + "\"");
        assertThat(hello).as("hello template changed").isNotEqualTo(standard);
        WsClient ws = f.ws();
        ws.send(hello);
        String ack = ws.await(s -> s.contains("\"type\":\"hello_ack\"") || s.contains("\"type\":\"error\""), 5_000);
        assertThat(ack).contains("hello_ack");
        return new BrokerFixture.Peer(ws, keys, jsonField(ack, "presenceId"), ack);
    }

    /**
     * {@code target}'s status as {@code viewer} sees it in {@code list_peers}. Frames of one socket are handled in
     * order, so this also waits until everything {@code viewer} sent before has been applied.
     */
    private String statusOf(BrokerFixture.Peer viewer, BrokerFixture.Peer target) {
        String reqId = "st-" + reqIds.incrementAndGet();
        viewer.ws().send("{\"type\":\"list_peers\",\"_reqId\":\"" + reqId + "\"}");
        String list = viewer.ws().await(s -> s.contains("\"type\":\"peers_list\"")
                && s.contains("\"_reqId\":\"" + reqId + "\""), 5_000);
        Matcher m = Pattern.compile("\"pubkey\":\"" + target.key() + "\"[^{}]*?\"status\":\"([a-z]+)\"").matcher(list);
        assertThat(m.find()).as("%s in %s", target.key(), list).isTrue();
        return m.group(1);
    }

    private HttpResponse<String> hook(BrokerFixture f, String body, String token) throws Exception {
        return send(f, body, token == null ? null : "Bearer " + token);
    }

    private HttpResponse<String> send(BrokerFixture f, String body, String authorization) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + f.port() + "/hook/set-status"))
                .timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void assertAnswer(HttpResponse<String> r, int status, String body) {
        assertThat(r.statusCode()).as("status of %s", r.body()).isEqualTo(status);
        assertThat(r.body()).isEqualTo(body);
    }

    /** {@code json} padded with spaces before its closing brace to exactly {@code bytes} bytes (ASCII). */
    private static String padTo(String json, int bytes) {
        assertThat(json.length()).isLessThanOrEqualTo(bytes);
        return json.substring(0, json.length() - 1) + " ".repeat(bytes - json.length()) + "}";
    }
}
