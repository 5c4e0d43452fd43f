package dev.claudemesh.broker.netty.http;

/**
 * Answers the requests of one route of the {@link RouteTable}. Runs on the channel's event loop and must not block:
 * validate there, then hand database work to {@link BlockingCalls}. The request (its body) is released when
 * {@code handle} returns, so read what is needed before; the {@link HttpExchange} itself may be answered later, from
 * any thread, exactly once. An exception thrown here is answered 500 and logged.
 */
@FunctionalInterface
public interface RouteHandler {

    void handle(HttpExchange x);
}
