package dev.claudemesh.broker.netty.it;

import dev.claudemesh.broker.core.testing.Identities;

import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

import static dev.claudemesh.broker.netty.it.BrokerFixture.jsonField;

/**
 * The book-keeping of the fault tests: every DM a {@link LoadPeer} sends, the ack it got, and every push of it that a
 * recipient saw, so that a test can say how many messages were sent, acked {@code queued:true}, delivered, lost
 * (acked but never pushed to their recipient) and delivered more than once. A push counts as a delivery only when
 * it reached the addressed session key with the exact nonce and ciphertext that were sent; anything else is counted
 * as corrupt. Thread-safe: peers record from their WebSocket threads.
 */
final class DeliveryLedger {

    /** A DM as sent. Times: wall clock for windows, nanos for latencies. */
    record Sent(String clientId, String from, String to, String nonce, String ciphertext, long atMs, long atNanos) {
    }

    /** The broker's ack of one send. */
    record Ack(String messageId, boolean queued, String error, long atMs, long atNanos) {
    }

    /** The counts a fault test prints and asserts. */
    record Report(int sent, int acked, int rejected, int delivered, int lost, long duplicates, long corrupt,
                  int deliveredUnacked) {
        @Override
        public String toString() {
            return "sent=" + sent + " acked=" + acked + " rejected=" + rejected + " delivered=" + delivered
                    + " lost=" + lost + " duplicates=" + duplicates + " corrupt=" + corrupt
                    + " deliveredUnacked=" + deliveredUnacked;
        }
    }

    private final String prefix;
    private final AtomicLong seq = new AtomicLong();
    private final Map<String, Sent> sentById = new ConcurrentHashMap<>();
    private final Map<String, Ack> ackById = new ConcurrentHashMap<>();
    /** Good pushes per client id: each entry is the broker message id it carried. */
    private final Map<String, List<String>> pushesById = new ConcurrentHashMap<>();
    private final AtomicLong corrupt = new AtomicLong();
    private final int payloadBytes;

    /**
     * @param prefix       client message ids start with it (so that acks of other frames are not mistaken for DMs)
     * @param payloadBytes bytes of random ciphertext per DM (before base64)
     */
    DeliveryLedger(String prefix, int payloadBytes) {
        this.prefix = prefix;
        this.payloadBytes = payloadBytes;
    }

    /** Records a new DM from {@code from} to {@code to} and returns its {@code send} frame. */
    String newDm(String from, String to) {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        byte[] nonce = new byte[24];
        byte[] cipher = new byte[payloadBytes];
        r.nextBytes(nonce);
        r.nextBytes(cipher);
        String id = prefix + seq.incrementAndGet();
        Sent s = new Sent(id, from, to, Base64.getEncoder().encodeToString(nonce),
                Base64.getEncoder().encodeToString(cipher), System.currentTimeMillis(), System.nanoTime());
        sentById.put(id, s);
        return Identities.send(id, to, "now", s.nonce(), s.ciphertext());
    }

    /** Whether {@code clientId} is one of this ledger's DMs. */
    boolean owns(String clientId) {
        return clientId != null && clientId.startsWith(prefix);
    }

    /** An {@code ack} frame arrived. */
    void onAck(String frame, long atMs, long atNanos) {
        String id = jsonField(frame, "id");
        if (!owns(id)) {
            return;
        }
        boolean queued = frame.contains("\"queued\":true");
        ackById.putIfAbsent(id, new Ack(jsonField(frame, "messageId"), queued, jsonField(frame, "error"), atMs,
                atNanos));
    }

    /** A DM {@code push} arrived at the peer whose session key is {@code recipientKey}. */
    void onPush(String recipientKey, String frame) {
        String id = jsonField(frame, "client_message_id");
        if (!owns(id)) {
            return;
        }
        Sent s = sentById.get(id);
        if (s == null || !s.to().equals(recipientKey) || !s.nonce().equals(jsonField(frame, "nonce"))
                || !s.ciphertext().equals(jsonField(frame, "ciphertext"))
                || !s.from().equals(jsonField(frame, "senderPubkey"))) {
            corrupt.incrementAndGet();
            return;
        }
        pushesById.computeIfAbsent(id, k -> Collections.synchronizedList(new ArrayList<>(1)))
                .add(jsonField(frame, "messageId"));
    }

    Map<String, Sent> sent() {
        return sentById;
    }

    Ack ack(String clientId) {
        return ackById.get(clientId);
    }

    /** Broker message ids of every DM acked {@code queued:true}. */
    List<String> ackedMessageIds() {
        List<String> out = new ArrayList<>();
        for (Ack a : ackById.values()) {
            if (a.queued()) {
                out.add(a.messageId());
            }
        }
        return out;
    }

    /** Send → ack latencies in microseconds of the acked DMs sent in [fromNanos, toNanos). */
    List<Long> ackLatenciesMicros(long fromNanos, long toNanos, Predicate<Sent> which) {
        List<Long> out = new ArrayList<>();
        for (Sent s : sentById.values()) {
            Ack a = ackById.get(s.clientId());
            if (a != null && a.queued() && s.atNanos() >= fromNanos && s.atNanos() < toNanos && which.test(s)) {
                out.add((a.atNanos() - s.atNanos()) / 1_000);
            }
        }
        Collections.sort(out);
        return out;
    }

    static long median(List<Long> sorted) {
        return sorted.isEmpty() ? -1 : sorted.get(sorted.size() / 2);
    }

    /** Whether every DM sent got an ack (positive or not). */
    boolean allAcked() {
        return ackById.size() >= sentById.size();
    }

    /** Whether every DM acked {@code queued:true} was pushed to its recipient. */
    boolean allAckedDelivered() {
        for (Map.Entry<String, Ack> e : ackById.entrySet()) {
            if (e.getValue().queued() && !pushesById.containsKey(e.getKey())) {
                return false;
            }
        }
        return true;
    }

    /** Client ids of the DMs acked {@code queued:true} but never pushed (lost so far). */
    List<String> missing() {
        List<String> out = new ArrayList<>();
        ackById.forEach((id, a) -> {
            if (a.queued() && !pushesById.containsKey(id)) {
                out.add(id);
            }
        });
        return out;
    }

    /** Waits (bounded) for {@code condition}; false on timeout. */
    static boolean await(long timeoutMs, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                return false;
            }
            Thread.sleep(50);
        }
        return true;
    }

    Report report() {
        int acked = 0;
        int rejected = 0;
        int delivered = 0;
        int lost = 0;
        long duplicates = 0;
        long wrongId = 0;
        for (Map.Entry<String, Ack> e : ackById.entrySet()) {
            Ack a = e.getValue();
            if (!a.queued()) {
                rejected++;
                continue;
            }
            acked++;
            List<String> pushes = pushesById.get(e.getKey());
            if (pushes == null) {
                lost++;
                continue;
            }
            delivered++;
            synchronized (pushes) {
                duplicates += pushes.size() - 1;
                for (String mid : pushes) {
                    if (!mid.equals(a.messageId())) {
                        wrongId++;
                    }
                }
            }
        }
        int deliveredUnacked = 0;
        for (String id : pushesById.keySet()) {
            Ack a = ackById.get(id);
            if (a == null) {
                deliveredUnacked++;
            }
        }
        return new Report(sentById.size(), acked, rejected, delivered, lost, duplicates, corrupt.get() + wrongId,
                deliveredUnacked);
    }
}
