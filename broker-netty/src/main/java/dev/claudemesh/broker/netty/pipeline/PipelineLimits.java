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
 */
public record PipelineLimits(int maxFrameBytes, int maxHttpBodyBytes, int maxHeaderBytes, long httpRequestTimeoutMs,
                             long pingMs, long staleMs, long helloTimeoutMs, long maxPendingBytesPerSocket) {

    public PipelineLimits {
        if (maxFrameBytes <= 0 || maxHttpBodyBytes <= 0 || maxHeaderBytes <= 0 || httpRequestTimeoutMs <= 0
                || pingMs <= 0 || staleMs <= 0 || helloTimeoutMs <= 0 || maxPendingBytesPerSocket <= 0) {
            throw new IllegalArgumentException("pipeline limits must be > 0: " + this);
        }
    }
}
