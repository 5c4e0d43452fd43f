package dev.claudemesh.broker.netty.pipeline;

/** Names of every handler in the pipeline, in pipeline order (STYLE habit 2). */
public final class HandlerNames {

    public static final String TLS = "tls";
    /** The lingering close of HTTP answers that end the connection ({@link HttpLingeringClose}). */
    public static final String HTTP_LINGER = "httpLinger";
    public static final String HTTP_CODEC = "httpCodec";
    public static final String HTTP_AGGREGATOR = "httpAggregator";
    public static final String HTTP_ROUTER = "httpRouter";
    public static final String WS_DECODER = "wsdecoder";
    public static final String WS_ENCODER = "wsencoder";
    public static final String WS_AGGREGATOR = "wsAggregator";
    public static final String WS_CLOSE = "wsClose";
    public static final String PEER = "peer";
    public static final String EXCEPTIONS = "exceptions";
    /** Takes {@link #WS_DECODER}'s place when the decoder failed and the connection is closing. */
    public static final String WS_DISCARD = "wsDiscard";

    private HandlerNames() {
    }
}
