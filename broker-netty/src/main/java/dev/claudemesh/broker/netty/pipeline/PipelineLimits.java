package dev.claudemesh.broker.netty.pipeline;

/**
 * Explicit limits of the pipeline (STYLE habit 4), with units in the names.
 *
 * @param maxFrameBytes            WebSocket message limit (frame or aggregated continuation), close 1009 beyond
 * @param maxHttpBodyBytes         HTTP request body limit, 413 beyond
 * @param maxHeaderBytes           HTTP header block limit
 * @param httpRequestTimeoutMs     a request (headers and body) must arrive within this, else the socket is closed
 * @param pingMs                   WebSocket ping period
 * @param staleMs                  no inbound traffic for this long terminates the socket
 * @param helloTimeoutMs           unauthenticated sockets are closed 1008 {@code hello_timeout} after this
 * @param maxPendingBytesPerSocket outbound bytes queued for one peer before it is closed as a slow consumer
 * @param closeFlushTimeoutMs      how long a close frame may wait behind pending output before the socket is closed
 *                                 without it ({@link WebSocketCloseHandler})
 * @param closeHandshakeTimeoutMs  how long, after the broker's close frame went out, it waits for the peer's close
 *                                 frame (reading and discarding) before closing TCP ({@link WebSocketCloseHandler})
 * @param httpLingerMs             how long, after an HTTP answer that ends the connection, the broker keeps reading and
 *                                 discarding before closing TCP ({@link HttpLingeringClose})
 * @param httpLingerMaxBytes       how many bytes it discards in that time before closing anyway
 */
public record PipelineLimits(int maxFrameBytes, int maxHttpBodyBytes, int maxHeaderBytes, long httpRequestTimeoutMs,
                             long pingMs, long staleMs, long helloTimeoutMs, long maxPendingBytesPerSocket,
                             long closeFlushTimeoutMs, long closeHandshakeTimeoutMs, long httpLingerMs,
                             long httpLingerMaxBytes) {

    /** A slow consumer gets this long to take its close frame (it may have a megabyte queued before it). */
    public static final long DEFAULT_CLOSE_FLUSH_TIMEOUT_MS = 5_000;
    /** RFC 6455 §7 leaves the wait for the peer's close to the server; clients answer within milliseconds. */
    public static final long DEFAULT_CLOSE_HANDSHAKE_TIMEOUT_MS = 2_000;
    /**
     * The lingering close's time bound, as long as the WebSocket close handshake's: a client that reads while it sends
     * (curl, browsers) sees the early answer within a round trip; one that reads only after sending (the JDK's client)
     * needs to send the rest of its body, at most {@link #DEFAULT_HTTP_LINGER_MAX_BYTES}, which takes milliseconds on
     * a LAN and under 2 s from 5 Mbit/s up. A slowloris client that earned a 408 gains no more than this.
     */
    public static final long DEFAULT_HTTP_LINGER_MS = 2_000;
    /**
     * The lingering close's byte bound: the rest of a body sixteen times the default 64 KiB limit. Discarding costs
     * one read per buffer and no memory (each is released at once); the bound keeps a client that sends at loopback
     * speed from busying an event loop for the whole {@link #DEFAULT_HTTP_LINGER_MS}.
     */
    public static final long DEFAULT_HTTP_LINGER_MAX_BYTES = 1024 * 1024;

    public PipelineLimits {
        if (maxFrameBytes <= 0 || maxHttpBodyBytes <= 0 || maxHeaderBytes <= 0 || httpRequestTimeoutMs <= 0
                || pingMs <= 0 || staleMs <= 0 || helloTimeoutMs <= 0 || maxPendingBytesPerSocket <= 0
                || closeFlushTimeoutMs <= 0 || closeHandshakeTimeoutMs <= 0 || httpLingerMs <= 0
                || httpLingerMaxBytes <= 0) {
            throw new IllegalArgumentException("pipeline limits must be > 0: " + this);
        }
    }

    /** The limits with the default close timeouts and lingering bounds. */
    public PipelineLimits(int maxFrameBytes, int maxHttpBodyBytes, int maxHeaderBytes, long httpRequestTimeoutMs,
                          long pingMs, long staleMs, long helloTimeoutMs, long maxPendingBytesPerSocket) {
        this(maxFrameBytes, maxHttpBodyBytes, maxHeaderBytes, httpRequestTimeoutMs, pingMs, staleMs, helloTimeoutMs,
                maxPendingBytesPerSocket, DEFAULT_CLOSE_FLUSH_TIMEOUT_MS, DEFAULT_CLOSE_HANDSHAKE_TIMEOUT_MS,
                DEFAULT_HTTP_LINGER_MS, DEFAULT_HTTP_LINGER_MAX_BYTES);
    }

    /** These limits with other close timeouts (tests). */
    public PipelineLimits withCloseTimeouts(long flushTimeoutMs, long handshakeTimeoutMs) {
        return new PipelineLimits(maxFrameBytes, maxHttpBodyBytes, maxHeaderBytes, httpRequestTimeoutMs, pingMs,
                staleMs, helloTimeoutMs, maxPendingBytesPerSocket, flushTimeoutMs, handshakeTimeoutMs, httpLingerMs,
                httpLingerMaxBytes);
    }

    /** These limits with other bounds of the HTTP lingering close (tests). */
    public PipelineLimits withHttpLinger(long lingerMs, long lingerMaxBytes) {
        return new PipelineLimits(maxFrameBytes, maxHttpBodyBytes, maxHeaderBytes, httpRequestTimeoutMs, pingMs,
                staleMs, helloTimeoutMs, maxPendingBytesPerSocket, closeFlushTimeoutMs, closeHandshakeTimeoutMs,
                lingerMs, lingerMaxBytes);
    }
}
