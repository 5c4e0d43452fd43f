package dev.claudemesh.broker.netty.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A server-sent-events client for the ITs (what {@code claudemesh topic tail} does with fetch): GET with a bearer
 * key and optionally {@code Last-Event-ID}, events parsed from the body ({@code event:}, {@code id:}, {@code data:}
 * lines, blank line between events) on a reader thread into a queue.
 */
final class SseClient implements AutoCloseable {

    /** One event. */
    record Event(String event, String id, String data) {
        @Override
        public String toString() { // data shortened: assertion messages stay readable
            return event + (id == null ? "" : "#" + id) + " " + (data.length() > 80 ? data.substring(0, 80) + "…" : data);
        }
    }

    private static final Event END = new Event("<end>", null, "");

    private final int status;
    private final String errorBody;
    private final InputStream body;
    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private final List<Event> seen = new ArrayList<>();

    private SseClient(int status, String errorBody, InputStream body) {
        this.status = status;
        this.errorBody = errorBody;
        this.body = body;
    }

    static SseClient open(int port, String path, String token, String lastEventId) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Authorization", "Bearer " + token).header("Accept", "text/event-stream").GET();
        if (lastEventId != null) {
            b.header("Last-Event-ID", lastEventId);
        }
        HttpResponse<InputStream> r = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()
                .send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
        if (r.statusCode() != 200) {
            try (InputStream in = r.body()) {
                return new SseClient(r.statusCode(), new String(in.readAllBytes(), StandardCharsets.UTF_8), null);
            }
        }
        SseClient c = new SseClient(200, null, r.body());
        Thread t = new Thread(c::read, "sse-client");
        t.setDaemon(true);
        t.start();
        return c;
    }

    int status() {
        return status;
    }

    String errorBody() {
        return errorBody;
    }

    private void read() {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
            String event = "message";
            String id = null;
            StringBuilder data = new StringBuilder();
            String line;
            while ((line = r.readLine()) != null) {
                if (line.isEmpty()) {
                    events.add(new Event(event, id, data.toString()));
                    event = "message";
                    id = null;
                    data.setLength(0);
                } else if (line.startsWith("event: ")) {
                    event = line.substring(7);
                } else if (line.startsWith("id: ")) {
                    id = line.substring(4);
                } else if (line.startsWith("data: ")) {
                    data.append(data.length() == 0 ? "" : "\n").append(line.substring(6));
                }
            }
        } catch (IOException e) {
            // closed by close() or by the server
        } finally {
            events.add(END);
        }
    }

    /** The next event matching {@code p} (others before it are kept in {@link #seen()}). */
    Event next(Predicate<Event> p, long timeoutMs) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (true) {
            long left = deadline - System.currentTimeMillis();
            Event e = left <= 0 ? null : events.poll(left, TimeUnit.MILLISECONDS);
            if (e == null) {
                throw new AssertionError("no matching event within " + timeoutMs + " ms; seen: " + seen);
            }
            if (e == END) {
                events.add(END);
                throw new AssertionError("stream ended; seen: " + seen);
            }
            seen.add(e);
            if (p.test(e)) {
                return e;
            }
        }
    }

    /** The next {@code message} event. */
    Event nextMessage() throws InterruptedException {
        return next(e -> e.event().equals("message"), 10_000);
    }

    /** Waits (bounded) until the server ends the stream; the events before the end go to {@link #seen()}. */
    void awaitEnd(long timeoutMs) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (true) {
            long left = deadline - System.currentTimeMillis();
            Event e = left <= 0 ? null : events.poll(left, TimeUnit.MILLISECONDS);
            if (e == null) {
                throw new AssertionError("the stream did not end within " + timeoutMs + " ms; seen: " + seen);
            }
            if (e == END) {
                events.add(END);
                return;
            }
            seen.add(e);
        }
    }

    /** Events taken from the stream so far. */
    List<Event> seen() {
        return seen;
    }

    @Override
    public void close() throws IOException {
        if (body != null) {
            body.close();
        }
    }
}
