package dev.claudemesh.broker.netty.it;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A WebSocket client on a bare TCP socket whose reading the test controls: it does the upgrade and then reads only
 * when {@link #resume() told to}, so that it can play a peer that stops reading its socket (a slow consumer) while
 * the kernel buffers, then the broker's outbound buffer, fill up. Its receive buffer is made small before connecting
 * so that the kernel absorbs little. One reader thread; the rest may be called from the test thread.
 */
final class RawWsPeer implements AutoCloseable {

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final Thread reader;
    private final AtomicLong framesRead = new AtomicLong();
    private final AtomicLong bytesRead = new AtomicLong();
    private volatile boolean paused = true;
    private volatile int closeCode;
    private volatile String closeReason;
    private volatile boolean ended;

    private RawWsPeer(Socket socket) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
        this.reader = new Thread(this::readLoop, "raw-ws-reader");
        this.reader.setDaemon(true);
    }

    /** Connects and upgrades; the reader starts paused. */
    static RawWsPeer connect(int port, int receiveBufferBytes) throws IOException {
        Socket s = new Socket();
        s.setReceiveBufferSize(receiveBufferBytes);
        s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        s.setSoTimeout(10_000);
        byte[] key = new byte[16];
        ThreadLocalRandom.current().nextBytes(key);
        String req = "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: " + Base64.getEncoder().encodeToString(key)
                + "\r\nSec-WebSocket-Version: 13\r\n\r\n";
        s.getOutputStream().write(req.getBytes(StandardCharsets.US_ASCII));
        StringBuilder head = new StringBuilder();
        InputStream in = s.getInputStream();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("closed during the upgrade: " + head);
            }
            head.append((char) b);
        }
        if (!head.toString().startsWith("HTTP/1.1 101")) {
            throw new IOException("upgrade refused: " + head);
        }
        s.setSoTimeout(0);
        RawWsPeer p = new RawWsPeer(s);
        p.reader.start();
        return p;
    }

    /** Sends a masked text frame, as clients must. */
    synchronized void sendText(String text) throws IOException {
        writeFrame(0x1, text.getBytes(StandardCharsets.UTF_8));
    }

    private synchronized void writeFrame(int opcode, byte[] payload) throws IOException {
        ByteArrayOutputStream f = new ByteArrayOutputStream(payload.length + 14);
        f.write(0x80 | opcode);
        int n = payload.length;
        if (n < 126) {
            f.write(0x80 | n);
        } else if (n < 65_536) {
            f.write(0x80 | 126);
            f.write(n >>> 8);
            f.write(n);
        } else {
            f.write(0x80 | 127);
            for (int i = 7; i >= 0; i--) {
                f.write((int) ((long) n >>> (8 * i)));
            }
        }
        byte[] mask = new byte[4];
        ThreadLocalRandom.current().nextBytes(mask);
        f.write(mask, 0, 4);
        for (int i = 0; i < n; i++) {
            f.write(payload[i] ^ mask[i & 3]);
        }
        out.write(f.toByteArray());
        out.flush();
    }

    /** Reads until the next text frame containing {@code needle}; call only while {@link #pause() paused}. */
    String readUntil(String needle) throws IOException {
        while (true) {
            String t = readFrame();
            if (t == null) {
                throw new EOFException("closed " + closeCode + " " + closeReason + " before a frame with " + needle);
            }
            if (t.contains(needle)) {
                return t;
            }
        }
    }

    void pause() {
        paused = true;
    }

    void resume() {
        paused = false;
    }

    long framesRead() {
        return framesRead.get();
    }

    long bytesRead() {
        return bytesRead.get();
    }

    int closeCode() {
        return closeCode;
    }

    String closeReason() {
        return closeReason;
    }

    /** True once the broker closed the socket (close frame or EOF seen). */
    boolean ended() {
        return ended;
    }

    private void readLoop() {
        try {
            while (!ended) {
                if (paused) {
                    Thread.sleep(5);
                    continue;
                }
                if (readFrame() == null) {
                    return;
                }
            }
        } catch (IOException | InterruptedException e) {
            ended = true;
        }
    }

    /** One frame: a text payload, or null at a close frame or the end of the stream. Answers pings. */
    private String readFrame() throws IOException {
        int b0 = in.read();
        if (b0 < 0) {
            ended = true;
            return null;
        }
        int b1 = readByte();
        long len = b1 & 0x7f;
        if (len == 126) {
            len = (readByte() << 8) | readByte();
        } else if (len == 127) {
            len = 0;
            for (int i = 0; i < 8; i++) {
                len = (len << 8) | readByte();
            }
        }
        byte[] payload = in.readNBytes((int) len);
        if (payload.length < len) {
            ended = true;
            return null;
        }
        framesRead.incrementAndGet();
        bytesRead.addAndGet(2 + len);
        int opcode = b0 & 0x0f;
        if (opcode == 0x8) {
            closeCode = payload.length >= 2 ? ((payload[0] & 0xff) << 8) | (payload[1] & 0xff) : 1005;
            closeReason = payload.length > 2 ? new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8) : "";
            ended = true;
            return null;
        }
        if (opcode == 0x9) {
            writeFrame(0xA, payload);
            return "";
        }
        return new String(payload, StandardCharsets.UTF_8);
    }

    private int readByte() throws IOException {
        int b = in.read();
        if (b < 0) {
            throw new EOFException();
        }
        return b;
    }

    @Override
    public void close() throws IOException {
        ended = true;
        socket.close();
    }
}
