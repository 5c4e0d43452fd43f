package dev.claudemesh.broker.core.schedule;

import dev.claudemesh.broker.core.BrokerSettings;
import dev.claudemesh.broker.core.audit.AuditChain;
import dev.claudemesh.broker.core.audit.AuditEvent;
import dev.claudemesh.broker.core.crypto.Ed25519;
import dev.claudemesh.broker.core.mesh.SendRejection;
import dev.claudemesh.broker.core.model.StoredMessage;
import dev.claudemesh.broker.core.port.DurableOp;
import dev.claudemesh.broker.core.testing.Identities;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;

import static dev.claudemesh.broker.core.schedule.SchedulerHarness.b64;
import static dev.claudemesh.broker.core.schedule.SchedulerHarness.field;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The scheduler service on a manual clock and loop (PROTOCOL-MESH §7 with the §7.10 fixes): replies, validation and
 * limits, firing on behalf of the member through the core send path, reminders to oneself, retries, cron re-arming,
 * far-future entries, and restarts (missed fires, a send accepted just before the stop). The §16 defect 9 parts are
 * named in the tests that show them.
 */
class SchedulerServiceTest {

    private static final long MIN = 60_000;
    private static final long GRACE_MS = 90_000;

    private final SchedulerHarness h = new SchedulerHarness();
    private final Identities.MemberKeys alice = h.member("alice");
    private final Identities.MemberKeys bob = h.member("bob");

    private String schedule(SchedulerHarness.Peer p, String to, String message, long deliverAtMs) {
        String ack = h.request(p, "{\"type\":\"schedule\",\"to\":\"" + to + "\",\"message\":\"" + message
                + "\",\"deliverAt\":" + deliverAtMs + ",\"_reqId\":\"s\"}");
        assertThat(ack).startsWith("{\"type\":\"scheduled_ack\"");
        return field(ack, "scheduledId");
    }

    private String scheduleCron(SchedulerHarness.Peer p, String to, String message, String cron) {
        String ack = h.request(p, "{\"type\":\"schedule\",\"to\":\"" + to + "\",\"message\":\"" + message
                + "\",\"deliverAt\":0,\"cron\":\"" + cron + "\",\"recurring\":true}");
        assertThat(ack).startsWith("{\"type\":\"scheduled_ack\"");
        return field(ack, "scheduledId");
    }

    /** Closes {@code p}'s socket and lets its lease's grace run out. */
    private void gone(SchedulerHarness.Peer p) {
        p.close();
        h.advance(GRACE_MS + 1_000);
    }

    private static String iso(long ms) {
        return AuditChain.isoMillis(ms);
    }

    // ------------------------------------------------------------------------------------------ replies

    @Test
    void shouldAckOnlyOnceStoredAndListAndCancelOnlyOwnEntries() {
        SchedulerHarness.Peer a = h.session(alice, "a-cli");
        SchedulerHarness.Peer a2 = h.session(alice, "a-other");
        SchedulerHarness.Peer b = h.session(bob, "b");
        long at = h.now() + 3_600_000;

        String ack = h.request(a, "{\"type\":\"schedule\",\"to\":\"" + b.key() + "\",\"message\":\"standup time\","
                + "\"deliverAt\":" + at + ",\"_reqId\":\"r11\"}");
        String id = field(ack, "scheduledId");
        assertThat(id).matches("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
        assertThat(ack).isEqualTo("{\"type\":\"scheduled_ack\",\"scheduledId\":\"" + id + "\",\"deliverAt\":" + at
                + ",\"_reqId\":\"r11\"}");
        assertThat(h.store.row(id).toSelf()).isFalse();

        h.advance(1_000);
        String cronAck = h.request(a2, "{\"type\":\"schedule\",\"to\":\"*\",\"message\":\"daily\",\"deliverAt\":0,"
                + "\"cron\":\"0 9 * * 1-5\",\"recurring\":true,\"subtype\":\"reminder\",\"_reqId\":7}");
        String cronId = field(cronAck, "scheduledId");
        long next = Instant.parse("2026-03-11T09:00:00Z").toEpochMilli();
        assertThat(cronAck).isEqualTo("{\"type\":\"scheduled_ack\",\"scheduledId\":\"" + cronId + "\",\"deliverAt\":"
                + next + ",\"cron\":\"0 9 * * 1-5\",\"_reqId\":7}");

        // any lease of the member lists both, in creation order; subtype is never shown
        String list = h.request(a2, "{\"type\":\"list_scheduled\",\"_reqId\":\"r12\"}");
        assertThat(list).isEqualTo("{\"type\":\"scheduled_list\",\"messages\":[{\"id\":\"" + id + "\",\"to\":\""
                + b.key() + "\",\"message\":\"standup time\",\"deliverAt\":" + at + ",\"createdAt\":" + (at - 3_600_000)
                + "},{\"id\":\"" + cronId + "\",\"to\":\"*\",\"message\":\"daily\",\"deliverAt\":" + next
                + ",\"createdAt\":" + (at - 3_599_000) + ",\"cron\":\"0 9 * * 1-5\",\"firedCount\":0}],"
                + "\"_reqId\":\"r12\"}");
        assertThat(h.request(b, "{\"type\":\"list_scheduled\"}")).isEqualTo(
                "{\"type\":\"scheduled_list\",\"messages\":[]}");

        // another member cannot cancel it; a sibling lease of the creator can; then it is gone
        assertThat(h.request(b, "{\"type\":\"cancel_scheduled\",\"scheduledId\":\"" + id + "\",\"_reqId\":\"c1\"}"))
                .isEqualTo("{\"type\":\"cancel_scheduled_ack\",\"scheduledId\":\"" + id + "\",\"ok\":false,"
                        + "\"_reqId\":\"c1\"}");
        assertThat(h.request(a2, "{\"type\":\"cancel_scheduled\",\"scheduledId\":\"" + id + "\"}"))
                .isEqualTo("{\"type\":\"cancel_scheduled_ack\",\"scheduledId\":\"" + id + "\",\"ok\":true}");
        assertThat(h.request(a, "{\"type\":\"cancel_scheduled\",\"scheduledId\":\"" + id + "\"}")).contains("\"ok\":false");
        // full id only
        assertThat(h.request(a, "{\"type\":\"cancel_scheduled\",\"scheduledId\":\"" + cronId.substring(0, 8) + "\"}"))
                .contains("\"ok\":false");
        assertThat(h.store.size()).isEqualTo(1);

        // a cancelled entry never fires
        h.jump(3_600_000);
        h.advance(2_000);
        assertThat(b.pushes()).isEmpty();
        assertThat(h.audits("schedule_created")).hasSize(2);
        assertThat(h.audits("schedule_cancelled")).singleElement()
                .satisfies(e -> assertThat(e.actorId()).isEqualTo(alice.memberId()));
        assertThat(h.audits("schedule_created").get(1).event())
                .isEqualTo(new AuditEvent.ScheduleCreated(cronId, "*", "0 9 * * 1-5"));
    }

    @Test
    void shouldRefuseBadInputWithAClearError() {
        SchedulerHarness.Peer a = h.session(alice, "a");
        long now = h.now();
        String[][] cases = {
                {"{\"type\":\"schedule\",\"message\":\"m\",\"deliverAt\":1,\"_reqId\":\"1\"}",
                        "bad_request", "schedule needs \\\"to\\\": a non-empty target"},
                {"{\"type\":\"schedule\",\"to\":\"\",\"message\":\"m\",\"deliverAt\":1,\"_reqId\":\"1\"}",
                        "bad_request", "schedule needs \\\"to\\\": a non-empty target"},
                {"{\"type\":\"schedule\",\"to\":42,\"message\":\"m\",\"deliverAt\":1,\"_reqId\":\"1\"}",
                        "bad_request", "schedule needs \\\"to\\\": a non-empty target"},
                {"{\"type\":\"schedule\",\"to\":\"bob\",\"message\":\"m\",\"deliverAt\":1,\"_reqId\":\"1\"}",
                        "bad_request", "to must be a 64-hex key, *, @all, @<group> or #<topic>"},
                {"{\"type\":\"schedule\",\"to\":\"*\",\"deliverAt\":1,\"_reqId\":\"1\"}",
                        "bad_request", "schedule needs \\\"message\\\": a non-empty string"},
                {"{\"type\":\"schedule\",\"to\":\"*\",\"message\":\"\",\"deliverAt\":1,\"_reqId\":\"1\"}",
                        "bad_request", "schedule needs \\\"message\\\": a non-empty string"},
                {"{\"type\":\"schedule\",\"to\":\"*\",\"message\":\"m\",\"_reqId\":\"1\"}",
                        "bad_request", "deliverAt must be an integer (epoch ms) when there is no cron"},
                {"{\"type\":\"schedule\",\"to\":\"*\",\"message\":\"m\",\"deliverAt\":\"" + now + "\",\"_reqId\":\"1\"}",
                        "bad_request", "deliverAt must be an integer (epoch ms) when there is no cron"},
                {"{\"type\":\"schedule\",\"to\":\"*\",\"message\":\"m\",\"deliverAt\":1.5,\"_reqId\":\"1\"}",
                        "bad_request", "deliverAt must be an integer (epoch ms) when there is no cron"},
                {"{\"type\":\"schedule\",\"to\":\"*\",\"message\":\"m\",\"deliverAt\":"
                        + (now + Cron.HORIZON_MS + 1) + ",\"_reqId\":\"1\"}",
                        "bad_request", "deliverAt is more than 366 days ahead"},
                {"{\"type\":\"schedule\",\"to\":\"*\",\"message\":\"m\",\"deliverAt\":1,\"subtype\":\"system\",\"_reqId\":\"1\"}",
                        "bad_request", "subtype must be \\\"reminder\\\" when given"},
                {"{\"type\":\"schedule\",\"to\":\"*\",\"message\":\"m\",\"cron\":5,\"_reqId\":\"1\"}",
                        "bad_request", "cron must be a string"},
                {"{\"type\":\"schedule\",\"to\":\"*\",\"message\":\"m\",\"deliverAt\":0,\"cron\":\"0 9 * *\",\"_reqId\":\"1\"}",
                        "invalid_cron", "Invalid cron expression: 0 9 * *"},
                {"{\"type\":\"schedule\",\"to\":\"*\",\"message\":\"m\",\"deliverAt\":0,\"cron\":\"*/0 * * * *\",\"_reqId\":\"1\"}",
                        "invalid_cron", "Invalid cron expression: */0 * * * *"},
                {"{\"type\":\"schedule\",\"to\":\"*\",\"message\":\"m\",\"deliverAt\":0,\"cron\":\"0 0 30 2 *\",\"_reqId\":\"1\"}",
                        "invalid_cron", "Invalid cron expression: 0 0 30 2 *"},
        };
        for (String[] c : cases) {
            assertThat(h.request(a, c[0])).as(c[0]).isEqualTo("{\"type\":\"error\",\"code\":\"" + c[1]
                    + "\",\"message\":\"" + c[2] + "\",\"_reqId\":\"1\"}");
        }
        String big = "x".repeat(h.settings.maxMessageBytes());
        assertThat(h.request(a, "{\"type\":\"schedule\",\"to\":\"*\",\"message\":\"" + big + "\",\"deliverAt\":1}"))
                .startsWith("{\"type\":\"error\",\"code\":\"bad_request\",\"message\":\"message too large: ");
        assertThat(h.request(a, "{\"type\":\"cancel_scheduled\",\"_reqId\":\"c\"}")).isEqualTo("{\"type\":\"error\","
                + "\"code\":\"bad_request\",\"message\":\"cancel_scheduled needs \\\"scheduledId\\\": a string\","
                + "\"_reqId\":\"c\"}");
        assertThat(h.store.size()).isZero();
        assertThat(h.metrics.requestErrors().get("schedule").get("bad_request").sum()).isEqualTo(13);
        assertThat(h.metrics.requestErrors().get("schedule").get("invalid_cron").sum()).isEqualTo(3);
        // accepted: an upper-case key (lower-cased), an integral deliverAt in exponent form, a past time, #topic
        String ack = h.request(a, "{\"type\":\"schedule\",\"to\":\"" + alice.pubkey().toUpperCase() + "\","
                + "\"message\":\"m\",\"deliverAt\":1.7e12}");
        assertThat(ack).contains("\"deliverAt\":1700000000000");
        // long past: sent at once, to alice's own key (lower-cased, so recognised as herself: a reminder)
        assertThat(h.queued()).singleElement().satisfies(q -> {
            assertThat(q.message().targetKey()).isEqualTo(alice.pubkey());
            assertThat(q.message().subtype()).isEqualTo("reminder");
        });
        assertThat(h.request(a, "{\"type\":\"schedule\",\"to\":\"#t1\",\"message\":\"m\",\"deliverAt\":"
                + (now + 3_600_000) + "}")).startsWith("{\"type\":\"scheduled_ack\"");
    }

    @Test
    void shouldEnforceThePerMemberCapAndTheMinimumCronInterval() {
        SchedulerHarness capped = new SchedulerHarness(BrokerSettings.defaults(), new ScheduleLimits(2, 300_000,
                60_000, 1_000));
        Identities.MemberKeys carol = capped.member("carol");
        Identities.MemberKeys dave = capped.member("dave");
        SchedulerHarness.Peer c = capped.session(carol, "c");
        SchedulerHarness.Peer c2 = capped.session(carol, "c2");
        SchedulerHarness.Peer d = capped.session(dave, "d");
        long at = capped.now() + 3_600_000;
        String first = field(capped.request(c, "{\"type\":\"schedule\",\"to\":\"*\",\"message\":\"1\",\"deliverAt\":"
                + at + "}"), "scheduledId");
        capped.request(c2, "{\"type\":\"schedule\",\"to\":\"*\",\"message\":\"2\",\"deliverAt\":" + at + "}");
        // the cap counts the member's entries, whichever lease made them
        assertThat(capped.request(c, "{\"type\":\"schedule\",\"to\":\"*\",\"message\":\"3\",\"deliverAt\":" + at
                + ",\"_reqId\":\"x\"}")).isEqualTo("{\"type\":\"error\",\"code\":\"limit_exceeded\",\"message\":"
                + "\"at most 2 pending scheduled messages per member (SCHEDULE_MAX_PENDING_PER_MEMBER)\","
                + "\"_reqId\":\"x\"}");
        assertThat(capped.request(d, "{\"type\":\"schedule\",\"to\":\"*\",\"message\":\"d\",\"deliverAt\":" + at + "}"))
                .startsWith("{\"type\":\"scheduled_ack\"");
        capped.request(c, "{\"type\":\"cancel_scheduled\",\"scheduledId\":\"" + first + "\"}");
        assertThat(capped.request(c, "{\"type\":\"schedule\",\"to\":\"*\",\"message\":\"3\",\"deliverAt\":" + at + "}"))
                .startsWith("{\"type\":\"scheduled_ack\"");
        assertThat(capped.store.size()).isEqualTo(3);

        // every 5 minutes is the least allowed here
        capped.request(c, "{\"type\":\"cancel_scheduled\",\"scheduledId\":\"" + first + "\"}");
        assertThat(capped.request(d, "{\"type\":\"schedule\",\"to\":\"*\",\"message\":\"m\",\"cron\":\"*/4 * * * *\","
                + "\"deliverAt\":0}")).isEqualTo("{\"type\":\"error\",\"code\":\"invalid_cron\",\"message\":"
                + "\"Invalid cron expression: */4 * * * * (fires every 240 s; the shortest interval allowed is 300 s)\"}");
        assertThat(capped.request(d, "{\"type\":\"schedule\",\"to\":\"*\",\"message\":\"m\",\"cron\":\"*/5 * * * *\","
                + "\"deliverAt\":0}")).startsWith("{\"type\":\"scheduled_ack\"");
    }

    // ------------------------------------------------------------------------------------------ firing

    @Test
    void shouldSendAsTheCreatorsSessionWhileItsLeaseIsAttachedThroughTheCoreSendPath() {
        SchedulerHarness.Peer a = h.session(alice, "a");
        SchedulerHarness.Peer b = h.session(bob, "b");
        long at = h.now() + 5 * MIN;
        schedule(a, b.key(), "standup time", at);
        h.advance(5 * MIN - 2_000);
        assertThat(b.pushes()).isEmpty();
        h.advance(3_000);

        String push = b.pushes().get(0);
        StoredMessage m = h.queued().get(0).message();
        assertThat(push).isEqualTo("{\"type\":\"push\",\"messageId\":\"" + m.messageId() + "\",\"meshId\":\""
                + SchedulerHarness.MESH + "\",\"senderPubkey\":\"" + a.key() + "\",\"priority\":\"now\",\"nonce\":\"\","
                + "\"ciphertext\":\"" + b64("standup time") + "\",\"createdAt\":\"" + iso(m.createdAtMs())
                + "\",\"senderName\":\"a\"}");
        assertThat(m.createdAtMs()).isBetween(at, at + 1_000);
        assertThat(m.subtype()).isNull();
        // no ack frame reaches the creator's socket; the send was audited as the member's
        assertThat(a.conn().framesContaining("\"type\":\"ack\"")).isEmpty();
        assertThat(h.audits("message_sent")).singleElement().satisfies(e -> {
            assertThat(e.actorId()).isEqualTo(alice.memberId());
            assertThat(e.event()).isEqualTo(new AuditEvent.MessageSent(b.key(), "now"));
        });
        assertThat(h.store.size()).isZero();
        h.advance(10 * MIN);
        assertThat(b.pushes()).hasSize(1);
    }

    @Test
    void shouldSendAsTheMemberKeyOnceTheCreatingSocketIsGone() {
        // defect 9: a CLI-made schedule (cold path: its socket closes at once) delivered only within 90 s
        SchedulerHarness.Peer cli = h.session(alice, "cli");
        SchedulerHarness.Peer b = h.session(bob, "b");
        schedule(cli, b.key(), "later", h.now() + 10 * MIN);
        gone(cli);
        h.advance(10 * MIN);

        assertThat(b.pushes()).singleElement().satisfies(p -> {
            assertThat(field(p, "senderPubkey")).isEqualTo(alice.pubkey());
            assertThat(field(p, "senderName")).isEqualTo("alice");
            assertThat(field(p, "ciphertext")).isEqualTo(b64("later"));
        });
        assertThat(h.queued().get(0).message().senderMemberId()).isEqualTo(alice.memberId());
    }

    @Test
    void shouldQueueAReminderToSelfForTheMemberKeyWithSubtypeReminder() {
        // defect 9: self-reminders never delivered, and subtype "reminder" never rode on a DM
        SchedulerHarness.Peer cli = h.session(alice, "cli");
        String id = schedule(cli, cli.key(), "stretch", h.now() + 5 * MIN);
        assertThat(h.store.row(id).toSelf()).isTrue();
        gone(cli);
        h.advance(5 * MIN);

        // nobody of alice's is connected: the reminder waits in the member key's queue
        DurableOp.EnqueueMessage q = h.queued().get(0);
        assertThat(q.message().targetKey()).isEqualTo(alice.pubkey());
        assertThat(q.message().subtype()).isEqualTo("reminder");
        assertThat(q.message().senderPubkey()).isEqualTo(alice.pubkey());
        assertThat(h.store.size()).isZero();

        SchedulerHarness.Peer next = h.session(alice, "next-session");
        assertThat(next.pushes()).singleElement().isEqualTo("{\"type\":\"push\",\"messageId\":\""
                + q.message().messageId() + "\",\"meshId\":\"" + SchedulerHarness.MESH + "\",\"senderPubkey\":\""
                + alice.pubkey() + "\",\"priority\":\"now\",\"nonce\":\"\",\"ciphertext\":\"" + b64("stretch")
                + "\",\"createdAt\":\"" + iso(q.message().createdAtMs()) + "\",\"senderName\":\"alice\","
                + "\"subtype\":\"reminder\"}");
    }

    @Test
    void shouldDeliverAReminderToTheMemberKeyToAnyLiveLeaseOfTheMemberAndToTheCreatorItself() {
        // a daemon's control-plane lease (no session key) reminding itself: its own lease gets it
        SchedulerHarness.Peer daemon = h.controlPlane(alice, "d");
        schedule(daemon, alice.pubkey(), "check the build", h.now() + MIN);
        h.advance(MIN + 1_000);
        assertThat(daemon.pushes()).singleElement().satisfies(p -> {
            assertThat(p).endsWith(",\"senderName\":\"daemon-d\",\"subtype\":\"reminder\"}");
            assertThat(field(p, "senderPubkey")).isEqualTo(alice.pubkey());
        });
    }

    @Test
    void shouldCarrySubtypeReminderOnAMulticastAndNeverSendAsAnotherMember() {
        SchedulerHarness.Peer a = h.session(alice, "a");
        SchedulerHarness.Peer a2 = h.session(alice, "a2");
        SchedulerHarness.Peer b = h.session(bob, "b");
        h.request(a, "{\"type\":\"schedule\",\"to\":\"*\",\"message\":\"all hands\",\"deliverAt\":"
                + (h.now() + 5 * MIN) + ",\"subtype\":\"reminder\"}");
        h.request(a, "{\"type\":\"schedule\",\"to\":\"@all\",\"message\":\"plain\",\"deliverAt\":"
                + (h.now() + 5 * MIN) + "}");
        gone(a);
        h.advance(5 * MIN);

        List<String> got = b.pushes();
        assertThat(got).hasSize(2);
        String reminder = got.stream().filter(p -> p.contains(b64("all hands"))).findFirst().orElseThrow();
        assertThat(reminder).endsWith(",\"senderMemberPubkey\":\"" + alice.pubkey() + "\",\"senderMemberId\":\""
                + alice.memberId() + "\",\"senderName\":\"alice\",\"subtype\":\"reminder\"}");
        assertThat(field(reminder, "senderPubkey")).isEqualTo(alice.pubkey());
        String plain = got.stream().filter(p -> p.contains(b64("plain"))).findFirst().orElseThrow();
        assertThat(plain).endsWith(",\"senderName\":\"alice\"}").doesNotContain("subtype");
        // a multicast never reaches the sender's own member
        assertThat(a2.pushes()).isEmpty();
    }

    @Test
    void shouldKeepAnUndeliverableOneShotAndRetryItUntilItIsAccepted() {
        // defect 9: skipped or refused fires still counted as fired
        SchedulerHarness.Peer a = h.session(alice, "a");
        Ed25519.KeyPair bobSession = Ed25519.generate();
        SchedulerHarness.Peer b = h.session(bob, bobSession, "b");
        gone(b);
        String id = schedule(a, bobSession.publicKeyHex(), "when you are back", h.now() + MIN);
        h.advance(MIN + 1_000);
        assertThat(h.store.claims).isEqualTo(1);
        assertThat(h.store.row(id)).isNotNull();
        assertThat(h.queued()).isEmpty();
        assertThat(h.metrics.messagesRejected().get("no_peer").sum()).isEqualTo(1);

        h.advance(ScheduleLimits.defaults().retryMs());
        assertThat(h.store.claims).isEqualTo(2);
        assertThat(h.store.row(id)).isNotNull();

        // bob's session comes back: the next attempt reaches it, and only then is the entry done
        SchedulerHarness.Peer back = h.session(bob, bobSession, "b");
        assertThat(back.pushes()).isEmpty();
        h.advance(ScheduleLimits.defaults().retryMs());
        assertThat(back.pushes()).singleElement().satisfies(p -> assertThat(p).contains(b64("when you are back")));
        assertThat(h.store.row(id)).isNull();
        assertThat(h.store.claims).isEqualTo(3);
    }

    @Test
    void shouldDeliverARetriedOneShotOnceTheMemberIsBack() {
        SchedulerHarness.Peer a = h.session(alice, "a");
        String id = schedule(a, bob.pubkey(), "for bob's member key", h.now() + MIN);
        h.advance(MIN + 1_000);
        assertThat(h.store.row(id)).isNotNull();

        SchedulerHarness.Peer b = h.controlPlane(bob, "b");
        assertThat(b.pushes()).isEmpty();
        h.advance(ScheduleLimits.defaults().retryMs());
        assertThat(b.pushes()).singleElement().satisfies(p -> assertThat(p).contains(b64("for bob's member key")));
        assertThat(h.store.row(id)).isNull();
        h.advance(5 * ScheduleLimits.defaults().retryMs());
        assertThat(b.pushes()).hasSize(1);
    }

    @Test
    void shouldGiveUpAOneShotThatCouldNotBeSentBeforeADmWouldHaveExpired() {
        BrokerSettings shortExpiry = new BrokerSettings(100, 65536, 0, 10, 60_000, 30_000, 30, 90_000, 60_000,
                24L * 3600_000, 30_000, 10_000, 10 * MIN, 10 * MIN, 15_000);
        SchedulerHarness s = new SchedulerHarness(shortExpiry, ScheduleLimits.defaults());
        Identities.MemberKeys carol = s.member("carol");
        Identities.MemberKeys dave = s.member("dave");
        SchedulerHarness.Peer c = s.session(carol, "c");
        String id = field(s.request(c, "{\"type\":\"schedule\",\"to\":\"" + dave.pubkey() + "\",\"message\":\"m\","
                + "\"deliverAt\":" + (s.now() + MIN) + "}"), "scheduledId");
        s.advance(MIN + 9 * MIN);
        assertThat(s.store.row(id)).isNotNull();
        s.advance(2 * MIN);
        assertThat(s.store.row(id)).isNull();
        assertThat(s.audits("schedule_dropped")).singleElement()
                .satisfies(e -> assertThat(e.event()).isEqualTo(new AuditEvent.ScheduleDropped(id, "expired")));
        assertThat(s.queued()).isEmpty();
    }

    @Test
    void shouldReArmACronEntryAfterEachFire() {
        SchedulerHarness.Peer a = h.session(alice, "a");
        SchedulerHarness.Peer b = h.session(bob, "b");
        String id = scheduleCron(a, "@all", "tick", "*/5 * * * *");
        assertThat(h.store.row(id).deliverAtMs()).isEqualTo(h.now() + 5 * MIN);
        gone(a);
        h.advance(16 * MIN);
        assertThat(b.pushes()).hasSize(3);
        ScheduledMessage row = h.store.row(id);
        assertThat(row.firedCount()).isEqualTo(3);
        assertThat(iso(row.deliverAtMs())).isEqualTo("2026-03-10T10:20:00.000Z");
        SchedulerHarness.Peer a2 = h.session(alice, "a2");
        assertThat(h.request(a2, "{\"type\":\"list_scheduled\"}")).contains("\"cron\":\"*/5 * * * *\",\"firedCount\":3}");
    }

    @Test
    void shouldSkipACronOccurrenceThatCannotBeSentBeforeTheNextOne() {
        SchedulerHarness.Peer a = h.session(alice, "a");
        String id = scheduleCron(a, bob.pubkey(), "hourly", "0 * * * *");
        h.advance(60 * MIN + 1_000);
        // bob was never there: retried each minute, then the 11:00 occurrence is skipped, not counted
        h.advance(59 * MIN);
        ScheduledMessage row = h.store.row(id);
        assertThat(iso(row.deliverAtMs())).isEqualTo("2026-03-10T12:00:00.000Z");
        assertThat(row.firedCount()).isZero();
        SchedulerHarness.Peer b = h.controlPlane(bob, "b");
        h.advance(2 * MIN);
        assertThat(b.pushes()).hasSize(1);
        assertThat(h.store.row(id).firedCount()).isEqualTo(1);
    }

    @Test
    void shouldHoldOnlyEntriesDueWithinTheWindowAndFireAFarFutureOneOnTime() {
        SchedulerHarness.Peer a = h.session(alice, "a");
        SchedulerHarness.Peer b = h.session(bob, "b");
        long at = h.now() + 300L * 24 * 3_600_000;
        schedule(a, b.key(), "much later", at);
        assertThat(h.schedules.armedCount()).isZero();
        h.jump(at - h.now() - 20 * MIN);
        h.advance(5_000);
        assertThat(h.schedules.armedCount()).isZero();
        h.advance(15 * MIN);
        assertThat(h.schedules.armedCount()).isEqualTo(1);
        assertThat(b.pushes()).isEmpty();
        h.advance(5 * MIN);
        assertThat(b.pushes()).hasSize(1);
        assertThat(h.queued().get(0).message().createdAtMs()).isBetween(at, at + 1_000);
    }

    @Test
    void shouldNotSendForARevokedMember() {
        SchedulerHarness.Peer a = h.session(alice, "a");
        SchedulerHarness.Peer b = h.session(bob, "b");
        schedule(a, b.key(), "m", h.now() + MIN);
        h.revoke(alice);
        h.advance(2 * MIN);
        assertThat(b.pushes()).isEmpty();
        assertThat(h.schedules.armedCount()).isZero();
    }

    // ------------------------------------------------------------------------------------------ #topic targets

    @Test
    void shouldSendToATopicUnderTheClaimedIdRetryRefusalsThatMayPassAndDropAnUnknownTopic() {
        SchedulerHarness.Peer a = h.session(alice, "a");
        String topic = "#T0000000000000000000000000000001";
        // a history that could not be stored, then a private topic alice is not subscribed to: both may pass
        h.topics.outcomes.add(SendRejection.INTERNAL_ERROR);
        h.topics.outcomes.add(SendRejection.FORBIDDEN);
        String id = schedule(a, topic, "to the topic", h.now() + MIN);
        h.advance(MIN + 1_000);
        assertThat(h.topics.refusedIds).hasSize(1);
        assertThat(h.store.row(id)).isNotNull();
        h.advance(ScheduleLimits.defaults().retryMs());
        assertThat(h.topics.refusedIds).hasSize(2);
        assertThat(h.store.row(id)).isNotNull();
        h.advance(ScheduleLimits.defaults().retryMs());

        // accepted on the third try, stored under the id the scheduler claimed (its proof of the send at boot)
        assertThat(h.topics.stored).hasSize(1);
        assertThat(h.store.row(id)).isNull();
        assertThat(h.audits("message_sent")).extracting(e -> e.event().canonicalPayload())
                .containsExactly("{\"priority\":\"now\",\"targetSpec\":\"" + topic + "\"}");
        h.advance(10 * MIN);
        assertThat(h.topics.stored).hasSize(1);

        // a #topic that is not a topic of the mesh is refused for good: dropped, audited
        h.topics.outcomes.add(SendRejection.INVALID);
        String unknown = schedule(a, "#nope", "nowhere", h.now() + MIN);
        h.advance(MIN + 1_000);
        assertThat(h.store.row(unknown)).isNull();
        assertThat(h.audits("schedule_dropped")).extracting(e -> e.event().canonicalPayload())
                .containsExactly("{\"reason\":\"invalid\",\"scheduledId\":\"" + unknown + "\"}");
        assertThat(h.topics.stored).hasSize(1);
    }

    @Test
    void shouldCompleteATopicSendAcceptedJustBeforeTheStopWithoutSendingItAgain() {
        SchedulerHarness.Peer a = h.session(alice, "a");
        String id = schedule(a, "#T0000000000000000000000000000001", "once", h.now() + MIN);
        h.store.failingOnly = "delete";
        h.advance(MIN + 1_000);
        assertThat(h.topics.stored).singleElement().isEqualTo(h.store.row(id).pendingMessageId());
        h.stop(a);
        h.store.failingOnly = null;
        // the real topic store commits the history row and a message_queue row with that id in one transaction
        h.durable.committed.add(new DurableOp.EnqueueMessage(new StoredMessage(h.topics.stored.get(0),
                SchedulerHarness.MESH, alice.memberId(), alice.pubkey(), alice.pubkey(), "alice",
                "#T0000000000000000000000000000001", "now", new byte[0], new byte[0], null, null, h.now(), h.now(),
                null)));
        h.start();
        h.advance(5 * MIN);

        assertThat(h.store.row(id)).isNull();
        assertThat(h.topics.stored).hasSize(1);
    }

    // ------------------------------------------------------------------------------------------ restarts

    @Test
    void shouldReArmFromTheStoreAfterARestartAndFireExactlyOnce() {
        SchedulerHarness.Peer a = h.session(alice, "a");
        SchedulerHarness.Peer b = h.session(bob, "b");
        schedule(a, "*", "after restart", h.now() + 30 * MIN);
        schedule(a, a.key(), "remind me", h.now() + 30 * MIN);
        h.stop(a, b);
        h.jump(10 * MIN);
        h.start();
        // nobody connected: the mesh's state exists anyway
        assertThat(h.schedules).isNotNull();
        SchedulerHarness.Peer b2 = h.session(bob, "b2");
        h.advance(20 * MIN + 1_000);

        assertThat(b2.pushes()).singleElement().satisfies(p -> {
            // defect 9: a recovered send could go out as another (the only connected) member
            assertThat(p).contains("\"senderMemberPubkey\":\"" + alice.pubkey() + "\"");
            assertThat(field(p, "senderPubkey")).isEqualTo(alice.pubkey());
        });
        // the reminder, queued for alice's member key, and the broadcast's delivered record (for message_status)
        assertThat(h.queued()).extracting(q -> q.message().targetKey())
                .containsExactlyInAnyOrder(alice.pubkey(), "*");
        assertThat(h.store.size()).isZero();

        h.stop(b2);
        h.start();
        h.advance(60 * MIN);
        assertThat(h.queued()).as("nothing fired twice").hasSize(2);
    }

    @Test
    void shouldFireAOneShotThatFellDueWhileDownAtBootAndSkipMissedCronOccurrences() {
        // defect 9: past-due entries were lost at boot; recovered cron stopped after one fire
        SchedulerHarness.Peer a = h.session(alice, "a");
        String oneShot = schedule(a, a.key(), "overdue", h.now() + 10 * MIN);
        String cron = scheduleCron(a, a.key(), "hourly", "30 * * * *");
        h.stop(a);
        h.jump(3 * 60 * MIN); // down from 10:00 to 13:00: 10:30, 11:30 and 12:30 missed
        h.start();

        assertThat(h.queued()).singleElement().satisfies(q -> {
            assertThat(q.message().ciphertext()).asString().isEqualTo(b64("overdue"));
            assertThat(q.message().createdAtMs()).isEqualTo(h.now());
        });
        assertThat(h.store.row(oneShot)).isNull();
        ScheduledMessage row = h.store.row(cron);
        assertThat(iso(row.deliverAtMs())).isEqualTo("2026-03-10T13:30:00.000Z");
        assertThat(row.firedCount()).isZero();

        h.advance(30 * MIN + 1_000);
        h.advance(60 * MIN);
        h.advance(60 * MIN);
        assertThat(h.queued()).hasSize(4);
        assertThat(h.store.row(cron).firedCount()).isEqualTo(3);
        assertThat(iso(h.store.row(cron).deliverAtMs())).isEqualTo("2026-03-10T16:30:00.000Z");
    }

    @Test
    void shouldCompleteWithoutSendingAgainAnEntryWhoseSendWasAcceptedJustBeforeTheStop() {
        SchedulerHarness.Peer a = h.session(alice, "a");
        String id = schedule(a, a.key(), "once", h.now() + MIN);
        // the send is accepted (its queue row commits), then the store cannot record it, and the broker stops
        h.store.failingOnly = "delete";
        h.advance(MIN + 1_000);
        assertThat(h.queued()).hasSize(1);
        String messageId = h.queued().get(0).message().messageId();
        assertThat(h.store.row(id).pendingMessageId()).isEqualTo(messageId);
        h.stop(a);
        h.store.failingOnly = null;
        h.jump(5 * MIN);
        h.start();
        h.advance(5 * MIN);

        assertThat(h.queued()).hasSize(1);
        assertThat(h.store.row(id)).isNull();
    }

    @Test
    void shouldRetryAStoreUpdateThatFailedWithoutSendingAgain() {
        SchedulerHarness.Peer a = h.session(alice, "a");
        String id = schedule(a, a.key(), "once", h.now() + MIN);
        h.store.failingOnly = "delete";
        h.advance(MIN + 1_000);
        h.advance(3 * ScheduleLimits.defaults().retryMs());
        assertThat(h.store.row(id)).isNotNull();
        h.store.failingOnly = null;
        h.advance(ScheduleLimits.defaults().retryMs());
        assertThat(h.store.row(id)).isNull();
        assertThat(h.queued()).hasSize(1);
        assertThat(h.store.claims).isEqualTo(1);
    }
}
