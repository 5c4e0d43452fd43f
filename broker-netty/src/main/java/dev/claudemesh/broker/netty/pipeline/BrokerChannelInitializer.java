package dev.claudemesh.broker.netty.pipeline;

import dev.claudemesh.broker.core.mesh.Broker;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.ssl.SslContext;

/**
 * Builds every connection's pipeline in one place (STYLE habit 2):
 * {@code [tls] → httpLinger → httpCodec → httpAggregator → httpRouter}; after an upgrade at {@code /ws} the router
 * turns it into {@code [tls] → wsdecoder → wsencoder → wsAggregator → wsClose → peer}.
 */
public final class BrokerChannelInitializer extends ChannelInitializer<Channel> {

    private final Broker broker;
    private final HttpRouter.HttpHandler http;
    private final PipelineLimits limits;
    private final SslContext sslContext;
    private final ChannelGroup channels;

    public BrokerChannelInitializer(Broker broker, HttpRouter.HttpHandler http, PipelineLimits limits,
                                    SslContext sslContext, ChannelGroup channels) {
        this.channels = channels;
        this.broker = broker;
        this.http = http;
        this.limits = limits;
        this.sslContext = sslContext;
    }

    @Override
    protected void initChannel(Channel ch) {
        if (channels != null) {
            channels.add(ch);
        }
        ChannelPipeline p = ch.pipeline();
        if (sslContext != null) {
            p.addLast(HandlerNames.TLS, sslContext.newHandler(ch.alloc()));
        }
        // on bytes, before the codec: once an answer ends the connection, nothing more reaches the codec
        p.addLast(HandlerNames.HTTP_LINGER, new HttpLingeringClose(limits.httpLingerMs(), limits.httpLingerMaxBytes()));
        p.addLast(HandlerNames.HTTP_CODEC, new HttpServerCodec(4096, limits.maxHeaderBytes(), 8192));
        p.addLast(HandlerNames.HTTP_AGGREGATOR, new JsonHttpObjectAggregator(limits.maxHttpBodyBytes()));
        p.addLast(HandlerNames.HTTP_ROUTER, new HttpRouter(broker, http, limits));
    }
}
