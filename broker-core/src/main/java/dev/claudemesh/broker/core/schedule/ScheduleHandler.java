package dev.claudemesh.broker.core.schedule;

import dev.claudemesh.broker.core.audit.AuditEvent;
import dev.claudemesh.broker.core.crypto.Hex;
import dev.claudemesh.broker.core.envelope.Frames;
import dev.claudemesh.broker.core.envelope.Inbound;
import dev.claudemesh.broker.core.envelope.JsonNode;
import dev.claudemesh.broker.core.envelope.JsonOut;
import dev.claudemesh.broker.core.mesh.Lease;
import dev.claudemesh.broker.core.mesh.MessageHandler;
import dev.claudemesh.broker.core.mesh.PeerSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.UUID;

/**
 * {@code schedule} (PROTOCOL-MESH §7.1 with the §7.10 [fix] validation): checks the request, stores the entry (the
 * per-member cap is enforced by the store, in one transaction) and answers
 * {@code {"type":"scheduled_ack","scheduledId","deliverAt","cron"?,"_reqId"}} once it is committed (the original
 * answered before its insert, which could fail unseen).
 *
 * <p>Refused with {@code bad_request}: {@code to} missing, empty or not a target ({@code 64-hex}, {@code *},
 * {@code @all}, {@code @group}, {@code #topic}); {@code message} missing or empty; no {@code cron} and no integer
 * {@code deliverAt}; {@code deliverAt} more than 366 days ahead; a message that could never be sent (base64 text +
 * target over {@code MAX_MESSAGE_BYTES}); a {@code subtype} other than {@code "reminder"} (any other value would let
 * a client dress a message up as, e.g., a system event). With {@code invalid_cron}
 * ({@code "Invalid cron expression: <expr>"}): a cron expression that does not parse, fires nowhere within 366 days,
 * or fires more often than {@code SCHEDULE_MIN_CRON_INTERVAL_SECONDS} allows. Over the cap:
 * {@code limit_exceeded}. A past {@code deliverAt} fires at once, as in the original. Runs on the mesh loop.</p>
 */
final class ScheduleHandler implements MessageHandler<Schedules> {

    private static final Logger log = LoggerFactory.getLogger(ScheduleHandler.class);
    /** Longest group name of a {@code @group} target (the core's rule). */
    private static final int MAX_GROUP_NAME = 128;

    @Override
    public void handle(Schedules s, PeerSession from, Inbound in) {
        long now = s.mesh.nowMs();
        JsonNode.ObjectNode body = in.body();
        String to = body.string("to");
        if (to == null || to.isEmpty()) {
            reject(s, from, in, "bad_request", "schedule needs \"to\": a non-empty target");
            return;
        }
        to = target(to);
        if (to == null) {
            reject(s, from, in, "bad_request", "to must be a 64-hex key, *, @all, @<group> or #<topic>");
            return;
        }
        String message = body.string("message");
        if (message == null || message.isEmpty()) {
            reject(s, from, in, "bad_request", "schedule needs \"message\": a non-empty string");
            return;
        }
        JsonNode subtypeNode = body.get("subtype");
        String subtype = null;
        if (subtypeNode != null && !(subtypeNode instanceof JsonNode.NullNode)) {
            if (!(subtypeNode instanceof JsonNode.StringNode st) || !st.value().equals(Schedules.REMINDER)) {
                reject(s, from, in, "bad_request", "subtype must be \"reminder\" when given");
                return;
            }
            subtype = Schedules.REMINDER;
        }
        JsonNode cronNode = body.get("cron");
        String cronText = null;
        if (cronNode instanceof JsonNode.StringNode cs) {
            cronText = cs.value().isEmpty() ? null : cs.value(); // "" is no cron, as in the original
        } else if (cronNode != null && !(cronNode instanceof JsonNode.NullNode)) {
            reject(s, from, in, "bad_request", "cron must be a string");
            return;
        }
        long deliverAtMs;
        if (cronText != null) {
            Cron cron;
            try {
                cron = Cron.parse(cronText);
            } catch (IllegalArgumentException e) {
                reject(s, from, in, "invalid_cron", "Invalid cron expression: " + cronText);
                return;
            }
            deliverAtMs = cron.nextAfter(now);
            if (deliverAtMs < 0) {
                reject(s, from, in, "invalid_cron", "Invalid cron expression: " + cronText);
                return;
            }
            long intervalMs = cron.minIntervalMs(now);
            if (intervalMs < s.limits.minCronIntervalMs()) {
                reject(s, from, in, "invalid_cron", "Invalid cron expression: " + cronText + " (fires every "
                        + intervalMs / 1000 + " s; the shortest interval allowed is "
                        + s.limits.minCronIntervalMs() / 1000 + " s)");
                return;
            }
        } else {
            Long at = integer(body.get("deliverAt"));
            if (at == null) {
                reject(s, from, in, "bad_request", "deliverAt must be an integer (epoch ms) when there is no cron");
                return;
            }
            if (at > now + Cron.HORIZON_MS) {
                reject(s, from, in, "bad_request", "deliverAt is more than 366 days ahead");
                return;
            }
            deliverAtMs = at;
        }
        long payloadBytes = base64Length(message.getBytes(StandardCharsets.UTF_8).length)
                + to.getBytes(StandardCharsets.UTF_8).length;
        int maxBytes = s.mesh.settings().maxMessageBytes();
        if (payloadBytes > maxBytes) {
            reject(s, from, in, "bad_request", "message too large: " + payloadBytes + " bytes as sent > MAX_MESSAGE_BYTES="
                    + maxBytes);
            return;
        }
        Lease lease = from.lease();
        boolean toSelf = to.equals(lease.sessionPubkey()) || to.equals(lease.member().pubkey());
        ScheduledMessage entry = new ScheduledMessage(UUID.randomUUID().toString(), s.mesh.meshId(),
                lease.member().id(), lease.presenceId(), to, toSelf, message, deliverAtMs, cronText, subtype, 0, now,
                null, false);
        int cap = s.limits.maxPendingPerMember();
        s.mesh.onLoop(s.mesh.storage(() -> s.store.insert(entry, cap)), (result, failure) -> {
            if (failure != null) {
                log.warn("mesh {}: schedule failed: internal_error ({})", s.mesh.meshId(),
                        failure.getClass().getSimpleName());
                s.mesh.error(from, in, "internal_error", "scheduled messages are unavailable");
                return;
            }
            switch (result) {
                case OVER_CAP -> reject(s, from, in, "limit_exceeded", "at most " + cap
                        + " pending scheduled messages per member (SCHEDULE_MAX_PENDING_PER_MEMBER)");
                case NO_MEMBER -> reject(s, from, in, "forbidden", "this member is revoked");
                case INSERTED -> {
                    s.added(entry, s.mesh.nowMs());
                    s.mesh.audit(entry.memberId(), new AuditEvent.ScheduleCreated(entry.id(), entry.target(),
                            entry.cron()));
                    JsonOut o = Frames.beginReply("scheduled_ack").field("scheduledId", entry.id())
                            .field("deliverAt", entry.deliverAtMs());
                    if (entry.cron() != null) {
                        o.field("cron", entry.cron());
                    }
                    from.reply(Frames.endReply(o, in));
                }
            }
        });
    }

    private static void reject(Schedules s, PeerSession from, Inbound in, String code, String message) {
        s.mesh.error(from, in, code, message); // logs the one line of the refusal
    }

    /**
     * The target as stored: a 64-hex key lower-cased (the CLI accepts either case), {@code *}, {@code @all},
     * {@code @group} (at most 128 chars) or {@code #topic}; null when it is none of them.
     */
    static String target(String to) {
        if (to.length() == 64) {
            String lower = to.toLowerCase(Locale.ROOT);
            if (Hex.isLowerHex(lower, 64)) {
                return lower;
            }
        }
        if (to.equals("*") || to.equals("@all")) {
            return to;
        }
        if (to.startsWith("@") && to.length() > 1 && to.length() <= 1 + MAX_GROUP_NAME) {
            return to;
        }
        if (to.startsWith("#") && to.length() > 1) {
            return to;
        }
        return null;
    }

    /** An integral JSON number that fits a long ({@code 1717484400000}, {@code 1.7174844e12}), else null. */
    static Long integer(JsonNode node) {
        if (!(node instanceof JsonNode.NumberNode n)) {
            return null;
        }
        if (n.isLong()) {
            return n.longValue();
        }
        try {
            BigDecimal d = n.decimalValue();
            return d.stripTrailingZeros().scale() <= 0 ? d.longValueExact() : null;
        } catch (ArithmeticException | NumberFormatException e) {
            return null;
        }
    }

    /** Length of the padded standard base64 text of {@code n} bytes. */
    private static long base64Length(long n) {
        return 4 * ((n + 2) / 3);
    }
}
