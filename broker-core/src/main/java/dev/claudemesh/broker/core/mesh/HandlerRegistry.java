package dev.claudemesh.broker.core.mesh;

import dev.claudemesh.broker.core.BrokerMetrics;
import dev.claudemesh.broker.core.envelope.Inbound;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.LongAdder;

/**
 * Which handler serves which message type, built once from the broker's services (the core first). Lookup is an array
 * index for the core types the envelope decoder already recognised (the hot path: {@code send}, {@code client_ack})
 * and a hash lookup by type string for the others. Immutable after construction; thread-safe.
 */
final class HandlerRegistry {

    /** One registered type: its service's index, its handler and its request counter. */
    static final class Route {
        final String type;
        final int service;
        final MessageHandler<Object> handler;
        final LongAdder requests;

        Route(String type, int service, MessageHandler<Object> handler, LongAdder requests) {
            this.type = type;
            this.service = service;
            this.handler = handler;
            this.requests = requests;
        }
    }

    /** The topic-send handler and its service's index (at most one service registers it). */
    static final class TopicRoute {
        final int service;
        final TopicSendHandler<Object> handler;

        TopicRoute(int service, TopicSendHandler<Object> handler) {
            this.service = service;
            this.handler = handler;
        }
    }

    private final List<MeshService<?>> services;
    private TopicRoute topicSends;
    private final Route[] byCoreType = new Route[Inbound.Type.values().length];
    private final Map<String, Route> byType = new HashMap<>();

    HandlerRegistry(List<MeshService<?>> services, BrokerMetrics metrics) {
        this.services = List.copyOf(services);
        for (int i = 0; i < this.services.size(); i++) {
            register(i, this.services.get(i), metrics);
        }
    }

    @SuppressWarnings("unchecked")
    private <S> void register(int index, MeshService<S> service, BrokerMetrics metrics) {
        service.registerHandlers(new MeshService.Registrar<S>() {
            @Override
            public void handle(String type, MessageHandler<S> handler) {
                Objects.requireNonNull(type, "type");
                Objects.requireNonNull(handler, "handler");
                Inbound.Type core = Inbound.Type.forName(type);
                if (core == Inbound.Type.HELLO || core == Inbound.Type.SESSION_HELLO) {
                    throw new IllegalArgumentException("type: " + type
                            + " (expected: not an authentication message)");
                }
                if (byType.containsKey(type)) {
                    throw new IllegalArgumentException("type: " + type + " (expected: one handler per type; "
                            + service.name() + " registers it again)");
                }
                Route r = new Route(type, index, (MessageHandler<Object>) handler, metrics.requestCounter(type));
                byType.put(type, r);
                if (core != Inbound.Type.UNKNOWN) {
                    byCoreType[core.ordinal()] = r;
                }
            }

            @Override
            public void handleTopicSends(TopicSendHandler<S> handler) {
                Objects.requireNonNull(handler, "handler");
                if (topicSends != null) {
                    throw new IllegalArgumentException("topic sends: " + service.name()
                            + " (expected: one service; another registered them already)");
                }
                topicSends = new TopicRoute(index, (TopicSendHandler<Object>) handler);
            }
        });
    }

    /** The route of {@code in}'s type, or null when no service handles it. */
    Route route(Inbound in) {
        if (in.type != Inbound.Type.UNKNOWN) {
            return byCoreType[in.type.ordinal()];
        }
        return in.rawType == null ? null : byType.get(in.rawType);
    }

    /**
     * True when the dispatcher's handling of {@code in} keeps nothing of the Inbound itself past the call: its handler
     * says so ({@link MessageHandler#keepsRequest()}), or no handler serves it (answered at once with an error).
     */
    boolean lendable(Inbound in) {
        Route r = route(in);
        return r == null || !r.handler.keepsRequest();
    }

    /** The handler of sends to {@code #} targets, or null when no service serves topics. */
    TopicRoute topicSends() {
        return topicSends;
    }

    /** The services, in registration order (index = {@link Route#service}). */
    List<MeshService<?>> services() {
        return services;
    }

    /** The registered types (tests, logs). */
    List<String> types() {
        return new ArrayList<>(byType.keySet());
    }
}
