package dev.claudemesh.broker.netty.it;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/**
 * A WebSocket client on a plain blocking {@link Socket}, for what the JDK's client will not send: invalid UTF-8, raw
 * frame bytes, floods without reading, upgrades that never say hello. Frames are masked by default; reads are bounded
 * by a socket timeout. Not thread-safe; one test thread per instance.
 */
final class RawWs implements AutoCloseable {

    static final int CONT = 0x0;
    static final int TEXT = 0x1;
    static final int BINARY = 0x2;
    static final int CLOSE = 0x8;
    static final int PING = 0x9;
    static final int PONG = 0xA;

    private static final byte[] MASK = {0x12, (byte) 0x9a, 0x7c, 0x3e};

    /** One frame from the server. */
    record Frame(boolean fin, int opcode, byte[] payload) {
        String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }

        int closeCode() {
            return payload.length >= 2 ? ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF) : -1;
        }

        String closeReason() {
            return payload.length > 2 ? new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8) : "";
        }
    }

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    private RawWs(Socket socket) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
    }

    /** A connected TCP socket (no upgrade yet); {@code receiveBuffer} > 0 shrinks the kernel receive buffer. */
    static RawWs tcp(int port, int receiveBuffer) {
        try {
            Socket s = new Socket();
            if (receiveBuffer > 0) {
                s.setReceiveBufferSize(receiveBuffer);
            }
            s.setTcpNoDelay(true);
            s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            s.setSoTimeout(10_000);
            return new RawWs(s);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Connects and upgrades at {@code /ws}; fails unless the answer is 101. */
    static RawWs connect(int port) {
        RawWs ws = tcp(port, 0);
        ws.writeRaw(upgradeRequest("/ws").getBytes(StandardCharsets.US_ASCII));
        String head = ws.readHttpHead();
        if (!head.startsWith("HTTP/1.1 101")) {
            throw new AssertionError("upgrade failed: " + head);
        }
        return ws;
    }

    static String upgradeRequest(String path) {
        return "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    }

    Socket socket() {
        return socket;
    }

    void timeoutMs(int ms) {
        try {
            socket.setSoTimeout(ms);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void writeRaw(byte[] bytes) {
        try {
            out.write(bytes);
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads an HTTP response head (status line and headers, up to the blank line). */
    String readHttpHead() {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try {
            int c;
            while ((c = in.read()) != -1) {
                b.write(c);
                byte[] s = b.toByteArray();
                int n = s.length;
                if (n >= 4 && s[n - 4] == '\r' && s[n - 3] == '\n' && s[n - 2] == '\r' && s[n - 1] == '\n') {
                    break;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return b.toString(StandardCharsets.ISO_8859_1);
    }

    /** Everything the server sends until it closes the connection (or {@code timeoutMs} passes: AssertionError). */
    String readAllUntilEof(int timeoutMs) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        timeoutMs(timeoutMs);
        byte[] buf = new byte[4096];
        try {
            int n;
            while ((n = in.read(buf)) != -1) {
                b.write(buf, 0, n);
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError("connection still open after " + timeoutMs + " ms; got: "
                    + b.toString(StandardCharsets.ISO_8859_1));
        } catch (IOException e) {
            // reset by peer: closed too
        }
        return b.toString(StandardCharsets.ISO_8859_1);
    }

    static byte[] frame(boolean fin, int opcode, byte[] payload) {
        ByteArrayOutputStream f = new ByteArrayOutputStream(payload.length + 14);
        f.write((fin ? 0x80 : 0) | opcode);
        if (payload.length <= 125) {
            f.write(0x80 | payload.length);
        } else if (payload.length <= 0xFFFF) {
            f.write(0x80 | 126);
            f.write(payload.length >>> 8);
            f.write(payload.length & 0xFF);
        } else {
            f.write(0x80 | 127);
            long n = payload.length;
            for (int i = 7; i >= 0; i--) {
                f.write((int) (n >>> (8 * i)) & 0xFF);
            }
        }
        f.writeBytes(MASK);
        for (int i = 0; i < payload.length; i++) {
            f.write(payload[i] ^ MASK[i & 3]);
        }
        return f.toByteArray();
    }

    void send(boolean fin, int opcode, byte[] payload) {
        writeRaw(frame(fin, opcode, payload));
    }

    void sendText(String s) {
        send(true, TEXT, s.getBytes(StandardCharsets.UTF_8));
    }

    private int readByte() throws IOException {
        int b = in.read();
        if (b < 0) {
            throw new EOFException("connection closed");
        }
        return b;
    }

    /** The next server frame; throws on timeout or EOF. */
    Frame read() {
        try {
            int b0 = readByte();
            int b1 = readByte();
            long len = b1 & 0x7F;
            if (len == 126) {
                len = (readByte() << 8) | readByte();
            } else if (len == 127) {
                len = 0;
                for (int i = 0; i < 8; i++) {
                    len = (len << 8) | readByte();
                }
            }
            if ((b1 & 0x80) != 0) {
                throw new AssertionError("server frames must not be masked");
            }
            byte[] p = in.readNBytes((int) len);
            if (p.length != len) {
                throw new EOFException("truncated frame");
            }
            return new Frame((b0 & 0x80) != 0, b0 & 0x0F, p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The next text frame, skipping pings and pongs. */
    String readText() {
        while (true) {
            Frame f = read();
            if (f.opcode() == TEXT) {
                return f.text();
            }
            if (f.opcode() == CLOSE) {
                throw new AssertionError("closed " + f.closeCode() + " " + f.closeReason() + " while awaiting text");
            }
        }
    }

    /** The next text frame containing {@code needle}, skipping others. */
    String readText(String needle) {
        while (true) {
            String t = readText();
            if (t.contains(needle)) {
                return t;
            }
        }
    }

    /** Skips frames until a close frame arrives; returns it. */
    Frame readClose() {
        while (true) {
            Frame f = read();
            if (f.opcode() == CLOSE) {
                return f;
            }
        }
    }

    /** True when the server has closed the TCP connection (EOF within {@code timeoutMs}). */
    boolean eofWithin(int timeoutMs) {
        timeoutMs(timeoutMs);
        try {
            byte[] buf = new byte[4096];
            while (in.read(buf) != -1) {
                // drain
            }
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
