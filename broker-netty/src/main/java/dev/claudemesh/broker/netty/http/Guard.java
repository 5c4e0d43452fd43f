package dev.claudemesh.broker.netty.http;

/**
 * Admits or refuses a request before it is routed (an area's authentication, {@link RouteTable.Builder#area}). Runs
 * on the event loop; a guard that refuses answers the request itself.
 */
@FunctionalInterface
public interface Guard {

    /** True to go on; false after answering {@code x}. */
    boolean admit(HttpExchange x);
}
