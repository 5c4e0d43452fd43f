package dev.claudemesh.broker.netty.pipeline;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;

/**
 * Aggregates HTTP requests up to the body limit; an oversized body gets the protocol's
 * {@code 413 {"ok":false,"error":"payload too large"}} instead of Netty's empty answer, and the connection ends with
 * {@link HttpLingeringClose}, which reads and drops the rest of the body so that the close does not reset the
 * connection before the client read the 413. One per channel.
 *
 * <p>That holds for {@code Expect: 100-continue} too. Netty would answer such a request with a keep-alive 413 and
 * expect the next request where the body would have been: a client that sends the body anyway would have it parsed
 * as a request. Closing leaves no doubt where the next request starts.</p>
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

    @Override
    protected Object newContinueResponse(HttpMessage start, int maxContentLength, ChannelPipeline pipeline) {
        if (HttpUtil.is100ContinueExpected(start) && isContentLengthInvalid(start, maxContentLength)) {
            return null; // no 100 and no keep-alive 413: the aggregator goes on to handleOversizedMessage
        }
        return super.newContinueResponse(start, maxContentLength, pipeline);
    }
}
