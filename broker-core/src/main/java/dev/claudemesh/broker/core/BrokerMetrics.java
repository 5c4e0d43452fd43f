package dev.claudemesh.broker.core;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The broker's counters (PROTOCOL §6 series), as plain thread-safe adders. The transport exposes them in
 * Prometheus format by reading them; the domain only increments. Labelled counters keep one adder per label
 * value; label values come from fixed sets (reasons, priorities, capabilities), so they cannot grow unbounded.
 */
public final class BrokerMetrics {

    public final LongAdder connectionsTotal = new LongAdder();
    public final AtomicLong connectionsActive = new AtomicLong();
    public final LongAdder ttlSweepsTotal = new LongAdder();
    public final LongAdder hookRequestsTotal = new LongAdder();
    public final LongAdder hookRequestsRateLimitedTotal = new LongAdder();
    public final AtomicLong queueDepth = new AtomicLong();
    /**
     * DM payloads (nonce and ciphertext) held in the transport's pooled off-heap buffers: DMs not yet acked by their
     * recipient or not yet committed. Zero when the broker keeps payloads on the heap.
     */
    public final LongAdder payloadBuffers = new LongAdder();
    public final LongAdder pushesTotal = new LongAdder();
    public final LongAdder redeliveriesTotal = new LongAdder();
    /** Sockets closed 1008 {@code slow_consumer}: a peer that stopped reading while frames piled up for it. */
    public final LongAdder slowConsumerCloses = new LongAdder();
    // streams (PROTOCOL-MESH §12): what slow subscribers cost and lose
    /** {@code stream_data} frames a subscriber lost because its bounded buffer was full. */
    public final LongAdder streamFramesDropped = new LongAdder();
    /** {@code stream_data} bytes held for subscribers: waiting, or handed to a socket and not yet written out. */
    public final AtomicLong streamBufferedBytes = new AtomicLong();
    /** Live stream subscriptions (in memory; gone at restart). */
    public final AtomicLong streamSubscriptions = new AtomicLong();
    private final Map<String, LongAdder> connectionsRejected = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> messagesRouted = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> messagesRejected = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> droppedByGrant = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> messagesUnknown = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> requests = new ConcurrentHashMap<>();
    private final Map<String, Map<String, LongAdder>> requestErrors = new ConcurrentHashMap<>();

    public void connectionRejected(String reason) {
        connectionsRejected.computeIfAbsent(reason, k -> new LongAdder()).increment();
    }

    public void messageRouted(String priority) {
        messagesRouted.computeIfAbsent(priority, k -> new LongAdder()).increment();
    }

    public void messageRejected(String reason) {
        messagesRejected.computeIfAbsent(reason, k -> new LongAdder()).increment();
    }

    public void droppedByGrant(String capability) {
        droppedByGrant.computeIfAbsent(capability, k -> new LongAdder()).increment();
    }

    /** A frame no handler serves, by bounded label (a known mesh type, or {@code other}). */
    public void messageUnknown(String label) {
        messagesUnknown.computeIfAbsent(label, k -> new LongAdder()).increment();
    }

    /**
     * The counter of handled requests of a registered message type, created once when the handler is registered (the
     * dispatcher increments it without a lookup).
     */
    public LongAdder requestCounter(String type) {
        return requests.computeIfAbsent(type, k -> new LongAdder());
    }

    /** A request of a registered type answered with an error frame of {@code code} (both from fixed sets). */
    public void requestError(String type, String code) {
        requestErrors.computeIfAbsent(type, k -> new ConcurrentHashMap<>())
                .computeIfAbsent(code, k -> new LongAdder()).increment();
    }

    public Map<String, LongAdder> connectionsRejected() {
        return connectionsRejected;
    }

    public Map<String, LongAdder> messagesRouted() {
        return messagesRouted;
    }

    public Map<String, LongAdder> messagesRejected() {
        return messagesRejected;
    }

    public Map<String, LongAdder> droppedByGrant() {
        return droppedByGrant;
    }

    public Map<String, LongAdder> messagesUnknown() {
        return messagesUnknown;
    }

    /** Handled requests by registered message type. */
    public Map<String, LongAdder> requests() {
        return requests;
    }

    /** Error answers by registered message type, then by error code. */
    public Map<String, Map<String, LongAdder>> requestErrors() {
        return requestErrors;
    }
}
