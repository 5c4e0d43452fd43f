package dev.claudemesh.broker.netty.soak;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts of the soak: DMs sent, acked {@code queued:true}, rejected, delivered (pushed at least once to the addressed
 * session key), duplicated and lost, plus connection and error counters. Thread-safe (peers record from their loops).
 */
final class SoakLedger {

    /** One DM: its recipient, the broker's verdict, how often it was pushed. */
    static final class Dm {
        final String target;
        /** 0 = no ack yet, 1 = queued:true, 2 = rejected. */
        volatile int verdict;
        final AtomicInteger pushes = new AtomicInteger();

        Dm(String target) {
            this.target = target;
        }
    }

    private final AtomicLong seq = new AtomicLong();
    private final Map<String, Dm> dmById = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> errors = new ConcurrentHashMap<>();
    final LongAdder acked = new LongAdder();
    final LongAdder rejected = new LongAdder();
    final LongAdder pushes = new LongAdder();
    final LongAdder wrongRecipient = new LongAdder();
    final LongAdder multicastsSent = new LongAdder();
    final LongAdder multicastPushes = new LongAdder();
    final LongAdder systemPushes = new LongAdder();
    final LongAdder connects = new LongAdder();
    final LongAdder helloFailures = new LongAdder();
    final LongAdder connectFailures = new LongAdder();
    final LongAdder disconnects = new LongAdder();

    /** A new DM to {@code target}; returns the {@code send} frame. */
    String newDm(String target, String nonceB64, String ciphertextB64) {
        String id = "k" + seq.incrementAndGet();
        dmById.put(id, new Dm(target));
        return "{\"type\":\"send\",\"id\":\"" + id + "\",\"client_message_id\":\"" + id + "\",\"targetSpec\":\""
                + target + "\",\"priority\":\"now\",\"nonce\":\"" + nonceB64 + "\",\"ciphertext\":\"" + ciphertextB64
                + "\"}";
    }

    /** A multicast to {@code target} ({@code *} or {@code @group}); not tracked per message. */
    String newMulticast(String target, String nonceB64, String ciphertextB64) {
        multicastsSent.increment();
        String id = "m" + seq.incrementAndGet();
        return "{\"type\":\"send\",\"id\":\"" + id + "\",\"targetSpec\":\"" + target + "\",\"priority\":\"low\","
                + "\"nonce\":\"" + nonceB64 + "\",\"ciphertext\":\"" + ciphertextB64 + "\"}";
    }

    void onAck(String frame) {
        Dm dm = dmById.get(field(frame, "id"));
        if (dm == null || dm.verdict != 0) {
            return;
        }
        if (frame.contains("\"queued\":true")) {
            dm.verdict = 1;
            acked.increment();
        } else {
            dm.verdict = 2;
            rejected.increment();
            error("ack:" + field(frame, "error").split(":")[0]);
        }
    }

    void onDmPush(String recipientKey, String frame) {
        pushes.increment();
        Dm dm = dmById.get(field(frame, "client_message_id"));
        if (dm == null) {
            return;
        }
        if (!dm.target.equals(recipientKey)) {
            wrongRecipient.increment();
            return;
        }
        dm.pushes.incrementAndGet();
    }

    void error(String code) {
        errors.computeIfAbsent(String.valueOf(code), k -> new LongAdder()).increment();
    }

    long sent() {
        return dmById.size();
    }

    /** DMs acked {@code queued:true} and never pushed to their recipient (so far). */
    long undelivered() {
        long n = 0;
        for (Dm dm : dmById.values()) {
            if (dm.verdict == 1 && dm.pushes.get() == 0) {
                n++;
            }
        }
        return n;
    }

    long delivered() {
        long n = 0;
        for (Dm dm : dmById.values()) {
            if (dm.verdict == 1 && dm.pushes.get() > 0) {
                n++;
            }
        }
        return n;
    }

    long duplicates() {
        long n = 0;
        for (Dm dm : dmById.values()) {
            n += Math.max(0, dm.pushes.get() - 1);
        }
        return n;
    }

    Map<String, Long> errors() {
        Map<String, Long> out = new TreeMap<>();
        errors.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }

    /** The string value of {@code "name":"…"} in a flat JSON frame, or "" (no regex: this runs per frame). */
    static String field(String json, String name) {
        String key = "\"" + name + "\":\"";
        int i = json.indexOf(key);
        if (i < 0) {
            return "";
        }
        int from = i + key.length();
        int to = json.indexOf('"', from);
        return to < 0 ? "" : json.substring(from, to);
    }
}
