package dev.claudemesh.broker.netty.pipeline;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * Aggregates HTTP requests up to the body limit; an oversized body gets the protocol's
 * {@code 413 {"ok":false,"error":"payload too large"}} instead of Netty's plain-text answer. One per channel.
 */
public final class JsonHttpObjectAggregator extends HttpObjectAggregator {

    public JsonHttpObjectAggregator(int maxContentLength) {
        super(maxContentLength);
    }

    @Override
    protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
        HttpRouter.sendPlain(ctx, HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                "{\"ok\":false,\"error\":\"payload too large\"}");
    }
}
