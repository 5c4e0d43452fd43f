package dev.claudemesh.broker.netty.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hostile HTTP on the broker's one port, over raw sockets: request smuggling with conflicting framing headers,
 * oversized heads, slowloris clients and WebSocket upgrades anywhere but {@code /ws}. Each gets a definite answer (or
 * a close within the request deadline, shortened to 2 s here through the hidden BROKER_HTTP_REQUEST_TIMEOUT_MS knob),
 * no smuggled second request is ever served, and a bystander pair's DMs keep flowing.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HostileHttpIT {

    private static final int REQUEST_TIMEOUT_MS = 2_000;

    private BrokerFixture broker;
    private Bystanders bystanders;

    @BeforeAll
    void start() throws Exception {
        broker = new BrokerFixture(Map.of("BROKER_HTTP_REQUEST_TIMEOUT_MS", String.valueOf(REQUEST_TIMEOUT_MS),
                "SEND_RATE_LIMIT_PER_MIN", "0"));
        bystanders = new Bystanders(broker);
    }

    @AfterEach
    void bystandersStillTalk() throws Exception {
        bystanders.assertUnaffected();
    }

    @AfterAll
    void stop() {
        bystanders.close();
        broker.close();
    }

    private long hookRequests() {
        return broker.server().broker().metrics().hookRequestsTotal.sum();
    }

    /** Writes {@code request} on a fresh connection and returns all the server sent before closing it. */
    private String exchange(String request, int timeoutMs) {
        try (RawWs s = RawWs.tcp(broker.port(), 0)) {
            s.writeRaw(request.getBytes(StandardCharsets.ISO_8859_1));
            return s.readAllUntilEof(timeoutMs);
        }
    }

    private static int statusLines(String response) {
        Matcher m = Pattern.compile("(?m)^HTTP/1\\.[01] \\d{3}").matcher(response);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

    // ------------------------------------------------------------------------------------------ smuggling

    private static final String SMUGGLED = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";

    /** Requests whose framing is ambiguous; each carries a second request that a confused parser would serve. */
    private static final List<String> SMUGGLING = List.of(
            // CL.TE: Content-Length and chunked together (RFC 9112 §6.1: reject, or process by TE and close)
            "POST /hook/set-status HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "0\r\n\r\n" + SMUGGLED,
            // TE.CL: the same, headers the other way round
            "POST /hook/set-status HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 40\r\n\r\n"
                    + "0\r\n\r\n" + SMUGGLED,
            // two different Content-Lengths
            "POST /hook/set-status HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 41\r\n\r\n{}   "
                    + SMUGGLED,
            // chunked not the final coding, and an unknown coding
            "POST /hook/set-status HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n"
                    + SMUGGLED,
            "POST /hook/set-status HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n" + SMUGGLED,
            // whitespace between the field name and the colon (a classic proxy/server disagreement)
            "POST /hook/set-status HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\nContent-Length: 4\r\n\r\n"
                    + "0\r\n\r\n" + SMUGGLED,
            // Transfer-Encoding on HTTP/1.0
            "POST /hook/set-status HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + SMUGGLED);

    @Test
    void shouldAnswer400AndCloseOnConflictingFramingWithoutServingTheSmuggledRequest() {
        for (String attack : SMUGGLING) {
            long hooksBefore = hookRequests();
            String response = exchange(attack, 5_000);
            assertThat(response).as(attack).startsWith("HTTP/1.1 400 ");
            assertThat(response).as(attack).containsIgnoringCase("connection: close");
            assertThat(statusLines(response)).as("responses to %s", attack).isEqualTo(1);
            assertThat(response).as(attack).doesNotContain("\"status\":\"ok\"");
            assertThat(hookRequests()).as("the hook route never ran for %s", attack).isEqualTo(hooksBefore);
        }
    }

    @Test
    void shouldAnswer431AndCloseOnOversizedHeaders() {
        String big = "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(20 * 1024) + "\r\n\r\n";
        String response = exchange(big, 5_000);
        assertThat(response).startsWith("HTTP/1.1 431 ").containsIgnoringCase("connection: close");
        assertThat(statusLines(response)).isEqualTo(1);
        // many small headers add up the same way, on an upgrade too: no 101
        StringBuilder many = new StringBuilder("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n");
        for (int i = 0; i < 1_000; i++) {
            many.append("X-H").append(i).append(": ").append("v".repeat(20)).append("\r\n");
        }
        String upgrade = exchange(many.append("\r\n").toString(), 5_000);
        assertThat(upgrade).startsWith("HTTP/1.1 431 ").doesNotContain(" 101 ");
        // an oversized request line
        String longLine = exchange("GET /health?" + "q".repeat(10_000) + " HTTP/1.1\r\nHost: x\r\n\r\n", 5_000);
        assertThat(longLine).startsWith("HTTP/1.1 414 ");
    }

    // ------------------------------------------------------------------------------------------ slowloris

    /** Trickles {@code head} one byte per {@code intervalMs}; returns when the server closed, in ms since the start. */
    private long trickleUntilClosed(String start, String trickle, int intervalMs) throws Exception {
        try (RawWs s = RawWs.tcp(broker.port(), 0)) {
            long t0 = System.nanoTime();
            s.writeRaw(start.getBytes(StandardCharsets.ISO_8859_1));
            byte[] t = trickle.getBytes(StandardCharsets.ISO_8859_1);
            for (int i = 0; i < 60; i++) {
                if (s.eofWithin(intervalMs)) {
                    return (System.nanoTime() - t0) / 1_000_000;
                }
                try {
                    s.writeRaw(new byte[] {t[i % t.length]});
                } catch (RuntimeException closed) {
                    return (System.nanoTime() - t0) / 1_000_000;
                }
            }
            throw new AssertionError("still open after 60 slow bytes");
        }
    }

    @Test
    void shouldCloseSlowlorisHeadersWithinTheRequestDeadline() throws Exception {
        long ms = trickleUntilClosed("GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ", "abcdefgh", 1_000);
        assertThat(ms).isBetween(REQUEST_TIMEOUT_MS - 200L, REQUEST_TIMEOUT_MS + 3_000L);
    }

    @Test
    void shouldCloseSlowBodiesSlowUpgradesAndIdleConnectionsWithinTheRequestDeadline() throws Exception {
        long body = trickleUntilClosed("POST /hook/set-status HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{",
                "\"cwd\":", 1_000);
        assertThat(body).isBetween(REQUEST_TIMEOUT_MS - 200L, REQUEST_TIMEOUT_MS + 3_000L);
        long upgrade = trickleUntilClosed("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n", "Connection: Upgrade",
                1_000);
        assertThat(upgrade).isBetween(REQUEST_TIMEOUT_MS - 200L, REQUEST_TIMEOUT_MS + 3_000L);
        try (RawWs idle = RawWs.tcp(broker.port(), 0)) {
            long t0 = System.nanoTime();
            assertThat(idle.readAllUntilEof(REQUEST_TIMEOUT_MS + 3_000)).isEmpty();
            assertThat((System.nanoTime() - t0) / 1_000_000).isGreaterThanOrEqualTo(REQUEST_TIMEOUT_MS - 200L);
        }
    }

    @Test
    void shouldAnswer408ToARequestThatDoesNotArriveInTime() {
        try (RawWs s = RawWs.tcp(broker.port(), 0)) {
            s.writeRaw("POST /hook/set-status HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"cwd\":"
                    .getBytes(StandardCharsets.ISO_8859_1));
            String response = s.readAllUntilEof(REQUEST_TIMEOUT_MS + 3_000);
            assertThat(response).startsWith("HTTP/1.1 408 ").containsIgnoringCase("connection: close")
                    .endsWith("{\"error\":\"request timeout\"}");
        }
    }

    // ------------------------------------------------------------------------------------------ lingering close

    /**
     * Writes an oversized request's head, then body bytes in {@code chunk}-byte writes every {@code pauseMs} from a
     * second thread until the broker ends the connection, while this thread reads the answer. Returns the answer; the
     * writer must have been cut off (a failed write) within {@code boundMs}.
     */
    private String sendForever(int chunk, long pauseMs, long boundMs) throws Exception {
        try (RawWs s = RawWs.tcp(broker.port(), 0)) {
            s.writeRaw("POST /hook/set-status HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\n\r\n"
                    .getBytes(StandardCharsets.ISO_8859_1));
            CompletableFuture<Long> cutOffAfter = new CompletableFuture<>();
            Thread writer = new Thread(() -> {
                byte[] bytes = new byte[chunk];
                long written = 0;
                try {
                    OutputStream out = s.socket().getOutputStream();
                    while (written < 1_000_000_000L) {
                        out.write(bytes);
                        written += chunk;
                        if (pauseMs > 0) {
                            Thread.sleep(pauseMs); // the pace of a slow client, not a wait for a condition
                        }
                    }
                    cutOffAfter.completeExceptionally(new AssertionError("never cut off"));
                } catch (IOException e) {
                    cutOffAfter.complete(written);
                } catch (InterruptedException e) {
                    cutOffAfter.completeExceptionally(e);
                }
            }, "send-forever");
            writer.setDaemon(true);
            writer.start();
            String answer = s.readAllUntilEof(10_000);
            long written = cutOffAfter.get(boundMs, TimeUnit.MILLISECONDS);
            assertThat(written).as("bytes the broker took before cutting the client off").isLessThan(1_000_000_000L);
            return answer;
        }
    }

    @Test
    void shouldAnswer413AndCutOffAClientThatKeepsSendingAtFullSpeed() throws Exception {
        // the byte bound (1 MiB) ends it; allow for the socket buffers on both sides before the writes fail
        String answer = sendForever(64 * 1024, 0, 10_000);
        assertThat(answer).startsWith("HTTP/1.1 413 ").containsIgnoringCase("connection: close")
                .endsWith("{\"ok\":false,\"error\":\"payload too large\"}");
    }

    @Test
    void shouldAnswer413AndCutOffAClientThatKeepsSendingSlowly() throws Exception {
        // 10 KiB/s never reaches the byte bound: the time bound (2 s) ends it
        String answer = sendForever(1024, 100, 10_000);
        assertThat(answer).startsWith("HTTP/1.1 413 ").endsWith("{\"ok\":false,\"error\":\"payload too large\"}");
    }

    // ------------------------------------------------------------------------------------------ upgrades

    @ParameterizedTest(name = "upgrade at {0} → 404, no 101")
    @ValueSource(strings = {"/", "/ws/", "/wsx", "/WS", "/ws/../ws", "//ws", "/health", "/ws%20", "/ws#f",
            "http://127.0.0.1/ws", "*"})
    void shouldAnswer404ToUpgradesAnywhereButWs(String path) {
        String response = exchange(RawWs.upgradeRequest(path), 5_000);
        assertThat(response).startsWith("HTTP/1.1 404 ").doesNotContain("101").endsWith("{\"error\":\"not found\"}");
    }

    @Test
    void shouldAnswer404ToAnUpgradeWithAnotherMethodAndUpgradeWithAQueryString() {
        String post = exchange(RawWs.upgradeRequest("/ws").replace("GET /ws", "POST /ws"), 5_000);
        assertThat(post).startsWith("HTTP/1.1 404 ");
        try (RawWs ws = RawWs.tcp(broker.port(), 0)) {
            ws.writeRaw(RawWs.upgradeRequest("/ws?client=x&v=1").getBytes(StandardCharsets.US_ASCII));
            assertThat(ws.readHttpHead()).startsWith("HTTP/1.1 101 ");
        }
    }

    @Test
    void shouldAnswerBrokenUpgradesWithoutSwitching() {
        // no Sec-WebSocket-Key: 400 (it used to escape as an exception, logged at ERROR)
        String noKey = exchange(RawWs.upgradeRequest("/ws").replace("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n",
                ""), 5_000);
        assertThat(noKey).startsWith("HTTP/1.1 400 ").doesNotContain(" 101 ");
        // an unsupported version: 426 with the version the broker speaks
        try (RawWs s = RawWs.tcp(broker.port(), 0)) {
            s.writeRaw(RawWs.upgradeRequest("/ws").replace("Version: 13", "Version: 99")
                    .getBytes(StandardCharsets.US_ASCII));
            String head = s.readHttpHead();
            assertThat(head).startsWith("HTTP/1.1 426 ").containsIgnoringCase("sec-websocket-version: 13");
        }
    }
}
