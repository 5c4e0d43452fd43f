package dev.claudemesh.broker.netty.it;

import dev.claudemesh.broker.core.envelope.BinaryClientCodec;
import dev.claudemesh.broker.core.envelope.BinaryWire;
import dev.claudemesh.broker.core.envelope.JsonOut;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A real WebSocket client of the binary subprotocol (the JDK's client, offering {@code claudemesh.bin.1}): frames are
 * sent as binary ({@link #send} encodes a JSON client frame with {@link BinaryClientCodec}); every binary frame
 * received is kept raw and as the JSON it stands for, text frames as {@code TEXT:…}. Waits are bounded.
 */
final class BinaryWsClient implements AutoCloseable {

    /** One frame received: its bytes (null for a text frame) and the JSON it stands for. */
    record Frame(byte[] raw, String json) {
        int type() {
            return raw == null ? -1 : raw[1] & 0xFF;
        }
    }

    private final List<Frame> received = new ArrayList<>();
    private final List<Boolean> consumed = new ArrayList<>();
    private final WebSocket ws;
    private final ByteArrayOutputStream partial = new ByteArrayOutputStream();

    BinaryWsClient(int port) {
        ws = HttpClient.newHttpClient().newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5))
                .subprotocols(BinaryWire.SUBPROTOCOL)
                .buildAsync(URI.create("ws://127.0.0.1:" + port + "/ws"), new Listener())
                .orTimeout(10, TimeUnit.SECONDS).join();
    }

    String subprotocol() {
        return ws.getSubprotocol();
    }

    private synchronized void add(Frame f) {
        received.add(f);
        consumed.add(false);
        notifyAll();
    }

    private final class Listener implements WebSocket.Listener {
        private final StringBuilder text = new StringBuilder();

        @Override
        public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
            byte[] chunk = new byte[data.remaining()];
            data.get(chunk);
            partial.writeBytes(chunk);
            if (last) {
                byte[] frame = partial.toByteArray();
                partial.reset();
                String json;
                try {
                    json = new JsonOut().value(BinaryClientCodec.decode(frame)).toString();
                } catch (IllegalArgumentException e) {
                    json = "UNDECODABLE:" + e.getMessage();
                }
                add(new Frame(frame, json));
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                add(new Frame(null, "TEXT:" + text));
                text.setLength(0);
            }
            webSocket.request(1);
            return null;
        }
    }

    /** Sends the binary form of client frame {@code json}. */
    void send(String json) {
        sendRaw(BinaryClientCodec.encode(json));
    }

    void sendRaw(byte[] frame) {
        ws.sendBinary(ByteBuffer.wrap(frame), true).orTimeout(5, TimeUnit.SECONDS).join();
    }

    void sendText(String text) {
        ws.sendText(text, true).orTimeout(5, TimeUnit.SECONDS).join();
    }

    /** Waits for the next unconsumed frame whose JSON matches {@code p}, and consumes it. */
    synchronized Frame await(Predicate<String> p) {
        long deadline = System.currentTimeMillis() + 5_000;
        while (true) {
            for (int i = 0; i < received.size(); i++) {
                if (!consumed.get(i) && p.test(received.get(i).json())) {
                    consumed.set(i, true);
                    return received.get(i);
                }
            }
            long left = deadline - System.currentTimeMillis();
            if (left <= 0) {
                throw new AssertionError("no matching frame within 5 s; received: " + received);
            }
            try {
                wait(left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    /** Every frame received so far whose JSON matches {@code p}, consumed or not. */
    synchronized List<Frame> all(Predicate<String> p) {
        List<Frame> out = new ArrayList<>();
        for (Frame f : received) {
            if (p.test(f.json())) {
                out.add(f);
            }
        }
        return out;
    }

    Frame awaitType(String type) {
        return await(s -> s.contains("\"type\":\"" + type + "\""));
    }

    @Override
    public void close() {
        try {
            ws.sendClose(1000, "bye").orTimeout(2, TimeUnit.SECONDS).join();
        } catch (RuntimeException ignored) {
            // already gone
        }
        ws.abort();
    }
}
