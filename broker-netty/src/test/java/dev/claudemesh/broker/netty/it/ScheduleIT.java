package dev.claudemesh.broker.netty.it;

import dev.claudemesh.broker.core.audit.AuditChain;
import dev.claudemesh.broker.core.crypto.Ed25519;
import dev.claudemesh.broker.core.schedule.Cron;
import dev.claudemesh.broker.core.testing.Identities;
import dev.claudemesh.broker.db.testing.Eventually;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

import static dev.claudemesh.broker.netty.it.BrokerFixture.jsonField;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The scheduler end to end (PROTOCOL-MESH §7 with the §7.10 fixes), over real sockets against a real PostgreSQL:
 * {@code schedule}, {@code list_scheduled} and {@code cancel_scheduled} replies field by field, every error, the
 * per-member cap and the minimum cron interval, firing when an injected clock ({@link OffsetClock}) reaches the due
 * time (the broker's tick runs every 100 ms of real time), sends on behalf of the member after the creating socket is
 * gone, reminders to oneself with {@code subtype:"reminder"}, multicast reminders, and restarts: between scheduling
 * and firing (fires exactly once, even for a mesh nobody reconnects to), and with a fire time that passed while the
 * broker was down. {@code #topic} targets: the history and every subscriber get the message, an unknown topic drops
 * the entry, a private topic the member is not subscribed to keeps it until it is added, and a topic send committed
 * just before a stop is completed at boot without a second send. Peers sign their hellos with the same clock. Nothing
 * sleeps: waits are bounded conditions.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ScheduleIT {

    private static final long MIN = 60_000;
    private static final Map<String, String> SETTINGS = Map.of(
            "BROKER_SCHEDULE_TICK_MS", "100",
            "SCHEDULE_RETRY_SECONDS", "1",
            "SCHEDULE_MAX_PENDING_PER_MEMBER", "3",
            "SCHEDULE_MIN_CRON_INTERVAL_SECONDS", "300",
            "BROKER_GRACE_MS", "300",
            "SEND_RATE_LIMIT_PER_MIN", "0");

    private final OffsetClock clock = new OffsetClock();
    private BrokerFixture broker;

    @BeforeAll
    void start() throws Exception {
        broker = new BrokerFixture(SETTINGS, clock);
    }

    @AfterAll
    void stop() {
        if (broker != null) {
            broker.close();
        }
    }

    // ------------------------------------------------------------------------------------------ helpers

    private BrokerFixture.Peer session(BrokerFixture b, Identities.MemberKeys m, Ed25519.KeyPair keys, String name) {
        WsClient ws = b.ws();
        ws.send(Identities.sessionHello(m, keys, name, clock.millis(), 3_600_000, name, null));
        String ack = ws.await(s -> s.contains("\"type\":\"hello_ack\"") || s.contains("\"type\":\"error\""), 5_000);
        assertThat(ack).contains("hello_ack");
        return new BrokerFixture.Peer(ws, keys, jsonField(ack, "presenceId"), ack);
    }

    private BrokerFixture.Peer session(BrokerFixture b, Identities.MemberKeys m, String name) {
        return session(b, m, Ed25519.generate(), name);
    }

    /** A plain hello without a session key (a daemon's control-plane lease), addressed by the member key. */
    private WsClient controlPlane(BrokerFixture b, Identities.MemberKeys m, String name) {
        WsClient ws = b.ws();
        ws.send(Identities.hello(m, null, name, clock.millis(), name));
        assertThat(ws.await(s -> s.contains("\"type\":\"hello_ack\"") || s.contains("\"type\":\"error\""), 5_000))
                .contains("hello_ack");
        return ws;
    }

    private static String request(WsClient ws, String json, String replyType) {
        ws.send(json);
        return ws.await(s -> s.contains("\"type\":\"" + replyType + "\"") || s.contains("\"type\":\"error\""), 5_000);
    }

    private static String schedule(WsClient ws, String to, String message, long deliverAtMs) {
        String ack = request(ws, "{\"type\":\"schedule\",\"to\":\"" + to + "\",\"message\":\"" + message
                + "\",\"deliverAt\":" + deliverAtMs + "}", "scheduled_ack");
        assertThat(ack).startsWith("{\"type\":\"scheduled_ack\"");
        return jsonField(ack, "scheduledId");
    }

    private static String b64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    /** Pushes (DM or multicast, not system events) received so far, consumed or not. */
    private static List<String> pushes(WsClient ws) {
        return ws.all("\"type\":\"push\",\"messageId\"");
    }

    /** Everything sent to {@code ws} before this call has arrived once its list_peers is answered. */
    private static void roundTrip(WsClient ws) {
        ws.send("{\"type\":\"list_peers\",\"_reqId\":\"marker\"}");
        ws.await("\"_reqId\":\"marker\"");
    }

    private long count(BrokerFixture b, String sql) throws Exception {
        return Sql.count(b.databaseUrl(), sql);
    }

    // ------------------------------------------------------------------------------------------ replies and errors

    @Test
    void shouldFireWhenTheInjectedClockReachesTheTimeOnBehalfOfTheMemberAfterItsSocketIsGone() throws Exception {
        String mesh = broker.createMesh("sched-fire");
        Identities.MemberKeys alice = broker.addMember(mesh, "alice");
        Identities.MemberKeys bob = broker.addMember(mesh, "bob");
        BrokerFixture.Peer cli = session(broker, alice, "cli");
        BrokerFixture.Peer b = session(broker, bob, "b");
        long at = clock.millis() + 60 * MIN;

        String ack = request(cli.ws(), "{\"type\":\"schedule\",\"to\":\"" + b.key() + "\",\"message\":\"standup time\","
                + "\"deliverAt\":" + at + ",\"_reqId\":\"r11\"}", "scheduled_ack");
        String id = jsonField(ack, "scheduledId");
        assertThat(ack).isEqualTo("{\"type\":\"scheduled_ack\",\"scheduledId\":\"" + id + "\",\"deliverAt\":" + at
                + ",\"_reqId\":\"r11\"}");
        assertThat(id).matches("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
        assertThat(count(broker, "select count(*) from mesh.scheduled_message where id = '" + id + "'")).isEqualTo(1);

        // the CLI's cold-path socket goes away and its lease's grace runs out (defect 9)
        cli.ws().close();
        b.ws().await("\"event\":\"peer_left\"");
        roundTrip(b.ws());
        assertThat(pushes(b.ws())).isEmpty();

        clock.advance(60 * MIN);
        String push = b.ws().await(s -> s.contains("\"type\":\"push\",\"messageId\""), 5_000);
        Map<String, Object> p = Json.object(push);
        assertThat(push).startsWith("{\"type\":\"push\",\"messageId\":\"").endsWith(",\"senderName\":\"alice\"}");
        assertThat(p).containsEntry("senderPubkey", alice.pubkey()).containsEntry("priority", "now")
                .containsEntry("nonce", "").containsEntry("ciphertext", b64("standup time"))
                .containsEntry("meshId", mesh).doesNotContainKey("subtype");
        assertThat(AuditChain.isoMillis(at).compareTo((String) p.get("createdAt"))).isLessThanOrEqualTo(0);
        Sql.await(broker.databaseUrl(), "select count(*) from mesh.scheduled_message where id = '" + id + "'", 0);
        // a DM is pushed before its batch commits: wait for its row
        Sql.await(broker.databaseUrl(), "select count(*) from mesh.message_queue where id = '" + p.get("messageId")
                + "' and sender_member_id = '" + alice.memberId() + "'", 1);
        Sql.await(broker.databaseUrl(), "select count(*) from mesh.audit_log where mesh_id = '" + mesh
                + "' and event_type = 'message_sent' and actor_id = '" + alice.memberId() + "'", 1);
        assertThat(count(broker, "select count(*) from mesh.audit_log where mesh_id = '" + mesh
                + "' and event_type = 'schedule_created'")).isEqualTo(1);
        b.ws().close();
    }

    @Test
    void shouldListAndCancelOnlyTheMembersOwnEntries() throws Exception {
        String mesh = broker.createMesh("sched-list");
        Identities.MemberKeys alice = broker.addMember(mesh, "alice");
        Identities.MemberKeys bob = broker.addMember(mesh, "bob");
        BrokerFixture.Peer a = session(broker, alice, "a");
        BrokerFixture.Peer a2 = session(broker, alice, "a2");
        BrokerFixture.Peer b = session(broker, bob, "b");
        long at = clock.millis() + 2 * 24 * 60 * MIN;
        String oneShot = schedule(a.ws(), "@be", "plan", at);
        long before = clock.millis();
        String cronAck = request(a.ws(), "{\"type\":\"schedule\",\"to\":\"*\",\"message\":\"weekly\",\"deliverAt\":0,"
                + "\"cron\":\"0 9 * * 1\",\"recurring\":true,\"subtype\":\"reminder\",\"_reqId\":5}", "scheduled_ack");
        long after = clock.millis();
        String cron = jsonField(cronAck, "scheduledId");
        long cronAt = Long.parseLong(cronAck.replaceAll(".*\"deliverAt\":(\\d+).*", "$1"));
        // the next Monday 09:00 UTC after the moment the broker handled it
        assertThat(cronAt).isIn(Cron.parse("0 9 * * 1").nextAfter(before), Cron.parse("0 9 * * 1").nextAfter(after));
        assertThat(cronAck).isEqualTo("{\"type\":\"scheduled_ack\",\"scheduledId\":\"" + cron + "\",\"deliverAt\":"
                + cronAt + ",\"cron\":\"0 9 * * 1\",\"_reqId\":5}");

        String list = request(a2.ws(), "{\"type\":\"list_scheduled\",\"_reqId\":\"r12\"}", "scheduled_list");
        List<?> messages = (List<?>) Json.object(list).get("messages");
        assertThat(messages).hasSize(2);
        long created1 = ((Number) ((Map<?, ?>) messages.get(0)).get("createdAt")).longValue();
        long created2 = ((Number) ((Map<?, ?>) messages.get(1)).get("createdAt")).longValue();
        assertThat(list).isEqualTo("{\"type\":\"scheduled_list\",\"messages\":[{\"id\":\"" + oneShot + "\",\"to\":"
                + "\"@be\",\"message\":\"plan\",\"deliverAt\":" + at + ",\"createdAt\":" + created1 + "},{\"id\":\""
                + cron + "\",\"to\":\"*\",\"message\":\"weekly\",\"deliverAt\":" + cronAt + ",\"createdAt\":" + created2
                + ",\"cron\":\"0 9 * * 1\",\"firedCount\":0}],\"_reqId\":\"r12\"}");
        assertThat(created1).isLessThanOrEqualTo(created2).isLessThanOrEqualTo(clock.millis());
        assertThat(request(b.ws(), "{\"type\":\"list_scheduled\"}", "scheduled_list"))
                .isEqualTo("{\"type\":\"scheduled_list\",\"messages\":[]}");

        assertThat(request(b.ws(), "{\"type\":\"cancel_scheduled\",\"scheduledId\":\"" + oneShot + "\",\"_reqId\":\"c\"}",
                "cancel_scheduled_ack")).isEqualTo("{\"type\":\"cancel_scheduled_ack\",\"scheduledId\":\"" + oneShot
                + "\",\"ok\":false,\"_reqId\":\"c\"}");
        assertThat(request(a2.ws(), "{\"type\":\"cancel_scheduled\",\"scheduledId\":\"" + oneShot + "\"}",
                "cancel_scheduled_ack")).isEqualTo("{\"type\":\"cancel_scheduled_ack\",\"scheduledId\":\"" + oneShot
                + "\",\"ok\":true}");
        assertThat(request(a.ws(), "{\"type\":\"cancel_scheduled\",\"scheduledId\":\"" + oneShot + "\"}",
                "cancel_scheduled_ack")).contains("\"ok\":false");
        assertThat(request(a.ws(), "{\"type\":\"cancel_scheduled\",\"_reqId\":\"x\"}", "cancel_scheduled_ack"))
                .isEqualTo("{\"type\":\"error\",\"code\":\"bad_request\",\"message\":\"cancel_scheduled needs "
                        + "\\\"scheduledId\\\": a string\",\"_reqId\":\"x\"}");
        assertThat(request(a.ws(), "{\"type\":\"list_scheduled\"}", "scheduled_list")).contains("\"id\":\"" + cron + "\"")
                .doesNotContain(oneShot);
        request(a.ws(), "{\"type\":\"cancel_scheduled\",\"scheduledId\":\"" + cron + "\"}", "cancel_scheduled_ack");
        a.ws().close();
        a2.ws().close();
        b.ws().close();
    }

    @Test
    void shouldRefuseBadInputTheHorizonThePerMemberCapAndTooFrequentCron() throws Exception {
        String mesh = broker.createMesh("sched-errors");
        Identities.MemberKeys carol = broker.addMember(mesh, "carol");
        BrokerFixture.Peer c = session(broker, carol, "c");
        long now = clock.millis();
        String[][] cases = {
                {"{\"type\":\"schedule\",\"message\":\"m\",\"deliverAt\":1,\"_reqId\":\"e\"}", "bad_request",
                        "schedule needs \\\"to\\\": a non-empty target"},
                {"{\"type\":\"schedule\",\"to\":\"*\",\"message\":\"\",\"deliverAt\":1,\"_reqId\":\"e\"}", "bad_request",
                        "schedule needs \\\"message\\\": a non-empty string"},
                {"{\"type\":\"schedule\",\"to\":\"*\",\"message\":\"m\",\"_reqId\":\"e\"}", "bad_request",
                        "deliverAt must be an integer (epoch ms) when there is no cron"},
                {"{\"type\":\"schedule\",\"to\":\"*\",\"message\":\"m\",\"deliverAt\":" + (now + 367L * 24 * 60 * MIN)
                        + ",\"_reqId\":\"e\"}", "bad_request", "deliverAt is more than 366 days ahead"},
                {"{\"type\":\"schedule\",\"to\":\"*\",\"message\":\"m\",\"deliverAt\":0,\"cron\":\"0 9 * * MON\","
                        + "\"_reqId\":\"e\"}", "invalid_cron", "Invalid cron expression: 0 9 * * MON"},
                {"{\"type\":\"schedule\",\"to\":\"*\",\"message\":\"m\",\"deliverAt\":0,\"cron\":\"0 0 30 2 *\","
                        + "\"_reqId\":\"e\"}", "invalid_cron", "Invalid cron expression: 0 0 30 2 *"},
                {"{\"type\":\"schedule\",\"to\":\"*\",\"message\":\"m\",\"deliverAt\":0,\"cron\":\"*/4 * * * *\","
                        + "\"_reqId\":\"e\"}", "invalid_cron", "Invalid cron expression: */4 * * * * (fires every 240 s;"
                        + " the shortest interval allowed is 300 s)"},
        };
        for (String[] k : cases) {
            assertThat(request(c.ws(), k[0], "scheduled_ack")).as(k[0]).isEqualTo("{\"type\":\"error\",\"code\":\""
                    + k[1] + "\",\"message\":\"" + k[2] + "\",\"_reqId\":\"e\"}");
        }
        long later = now + 24 * 60 * MIN;
        for (int i = 0; i < 3; i++) {
            schedule(c.ws(), "*", "m" + i, later);
        }
        assertThat(request(c.ws(), "{\"type\":\"schedule\",\"to\":\"*\",\"message\":\"m\",\"deliverAt\":" + later
                + ",\"_reqId\":\"cap\"}", "scheduled_ack")).isEqualTo("{\"type\":\"error\",\"code\":\"limit_exceeded\","
                + "\"message\":\"at most 3 pending scheduled messages per member (SCHEDULE_MAX_PENDING_PER_MEMBER)\","
                + "\"_reqId\":\"cap\"}");
        c.ws().close();
    }

    // ------------------------------------------------------------------------------------------ reminders

    @Test
    void shouldDeliverAReminderToSelfAtTheMembersLeasesAfterTheCreatingSocketIsGone() throws Exception {
        String mesh = broker.createMesh("sched-self");
        Identities.MemberKeys dave = broker.addMember(mesh, "dave");
        WsClient daemon = controlPlane(broker, dave, "dave-daemon");
        BrokerFixture.Peer cli = session(broker, dave, "cli");
        // the CLI's default target: its own session key, which dies with the CLI (defect 9: never delivered)
        schedule(cli.ws(), cli.key(), "stand up and stretch", clock.millis() + 10 * MIN);
        cli.ws().close();
        // its lease's grace runs out (peer_left goes to other members only, so read the presence row)
        Sql.await(broker.databaseUrl(), "select count(*) from mesh.presence where id = '" + cli.presenceId()
                + "' and disconnected_at is not null", 1);

        clock.advance(10 * MIN);
        String push = daemon.await(s -> s.contains("\"type\":\"push\",\"messageId\""), 5_000);
        assertThat(push).endsWith(",\"senderName\":\"dave\",\"subtype\":\"reminder\"}");
        assertThat(Json.object(push)).containsEntry("senderPubkey", dave.pubkey())
                .containsEntry("ciphertext", b64("stand up and stretch"));
        // a DM is pushed before its batch commits (the first run of this assertion read the row too early): wait
        Sql.await(broker.databaseUrl(), "select count(*) from mesh.message_queue where id = '"
                + jsonField(push, "messageId") + "' and subtype = 'reminder' and target_key = '" + dave.pubkey() + "'", 1);
        daemon.close();
    }

    @Test
    void shouldCarrySubtypeReminderOnAMulticastSchedule() throws Exception {
        String mesh = broker.createMesh("sched-multicast");
        Identities.MemberKeys erin = broker.addMember(mesh, "erin");
        Identities.MemberKeys finn = broker.addMember(mesh, "finn");
        BrokerFixture.Peer e = session(broker, erin, "e");
        BrokerFixture.Peer f = session(broker, finn, "f");
        request(e.ws(), "{\"type\":\"schedule\",\"to\":\"*\",\"message\":\"all hands\",\"deliverAt\":"
                + (clock.millis() + 5 * MIN) + ",\"subtype\":\"reminder\"}", "scheduled_ack");

        clock.advance(5 * MIN);
        String push = f.ws().await(s -> s.contains("\"type\":\"push\",\"messageId\""), 5_000);
        assertThat(push).endsWith(",\"senderMemberPubkey\":\"" + erin.pubkey() + "\",\"senderMemberId\":\""
                + erin.memberId() + "\",\"senderName\":\"e\",\"subtype\":\"reminder\"}");
        assertThat(Json.object(push)).containsEntry("senderPubkey", e.key()).containsEntry("ciphertext", b64("all hands"));
        // a multicast never comes back to its own member
        roundTrip(e.ws());
        assertThat(pushes(e.ws())).isEmpty();
        e.ws().close();
        f.ws().close();
    }

    // ------------------------------------------------------------------------------------------ #topic targets

    /** The forbidden topic sends counted so far (a scheduled fire refused by a private topic counts there too). */
    private static long forbiddenSends(BrokerFixture b) {
        LongAdder n = b.server().broker().metrics().messagesRejected().get("forbidden");
        return n == null ? 0 : n.sum();
    }

    @Test
    void shouldPutAScheduledTopicMessageInTheHistoryAndPushItToEverySubscriberOnBehalfOfTheMember() throws Exception {
        String mesh = broker.createMesh("sched-topic");
        Identities.MemberKeys alice = broker.addMember(mesh, "alice");
        Identities.MemberKeys bob = broker.addMember(mesh, "bob");
        Identities.MemberKeys carol = broker.addMember(mesh, "carol");
        BrokerFixture.Peer cli = session(broker, alice, "cli");
        BrokerFixture.Peer b = session(broker, bob, "b");
        BrokerFixture.Peer c = session(broker, carol, "c");
        String topic = TopicSupport.createTopic(cli.ws(), "ops", null);
        TopicSupport.fireAndSync(b.ws(), "{\"type\":\"topic_join\",\"topic\":\"ops\"}");
        long at = clock.millis() + 10 * MIN;
        String id = schedule(cli.ws(), "#" + topic, "deploy at noon", at);
        cli.ws().close();
        b.ws().await("\"event\":\"peer_left\"");

        clock.advance(10 * MIN);
        String push = b.ws().await(s -> s.contains("\"topic\":\"ops\""), 5_000);
        Map<String, Object> p = Json.object(push);
        String messageId = (String) p.get("messageId");
        // the topic push of §8.6, sent as alice's member (its creating socket is gone) with the scheduler's fields
        assertThat(p).containsEntry("senderPubkey", alice.pubkey()).containsEntry("senderMemberId", alice.memberId())
                .containsEntry("senderName", "alice").containsEntry("priority", "now").containsEntry("nonce", "")
                .containsEntry("ciphertext", b64("deploy at noon")).containsEntry("topic", "ops");
        // in the topic's history under the same id; no push to a member that is not subscribed
        String history = TopicSupport.request(c.ws(), "{\"type\":\"topic_history\",\"topic\":\"ops\"");
        assertThat(history).contains("\"messages\":[{\"id\":\"" + messageId + "\",\"senderPubkey\":\""
                + alice.pubkey() + "\",\"senderMemberId\":\"" + alice.memberId() + "\",\"senderName\":\"alice\","
                + "\"nonce\":\"\",\"ciphertext\":\"" + b64("deploy at noon") + "\",\"bodyVersion\":1,");
        assertThat(pushes(c.ws())).isEmpty();
        // done: the entry is gone, its message_queue row is the history id, audited as alice's send
        Sql.await(broker.databaseUrl(), "select count(*) from mesh.scheduled_message where id = '" + id + "'", 0);
        assertThat(count(broker, "select count(*) from mesh.message_queue where id = '" + messageId
                + "' and target_key = '#" + topic + "' and delivered_at is not null")).isEqualTo(1);
        Sql.await(broker.databaseUrl(), "select count(*) from mesh.audit_log where mesh_id = '" + mesh + "' and "
                + "event_type = 'message_sent' and actor_id = '" + alice.memberId() + "' and payload_canonical like "
                + "'%#" + topic + "%'", 1);
        b.ws().close();
        c.ws().close();
    }

    @Test
    void shouldDropAScheduledSendToAnUnknownTopicAndRetryOneToAPrivateTopicUntilTheMemberIsAdded() throws Exception {
        String mesh = broker.createMesh("sched-topic-refused");
        Identities.MemberKeys alice = broker.addMember(mesh, "alice");
        Identities.MemberKeys bob = broker.addMember(mesh, "bob");
        BrokerFixture.Peer a = session(broker, alice, "a");
        BrokerFixture.Peer b = session(broker, bob, "b");
        String secret = TopicSupport.createTopic(b.ws(), "secret", "private");
        String other = broker.createMesh("sched-topic-other");
        String foreign = TopicSupport.createTopic(session(broker, broker.addMember(other, "olga"), "o").ws(), "x",
                null);

        // unknown topic ids (and a topic of another mesh) are refused for good: the entries are dropped, audited
        String unknown = schedule(a.ws(), "#" + "u".repeat(32), "nowhere", clock.millis() + MIN);
        String elsewhere = schedule(a.ws(), "#" + foreign, "elsewhere", clock.millis() + MIN);
        // a private topic alice is not subscribed to: refused for now, kept and tried again
        long forbiddenBefore = forbiddenSends(broker);
        String toSecret = schedule(a.ws(), "#" + secret, "let me in", clock.millis() + MIN);
        clock.advance(MIN + 1_000);
        for (String dropped : List.of(unknown, elsewhere)) {
            Sql.await(broker.databaseUrl(), "select count(*) from mesh.audit_log where mesh_id = '" + mesh + "' and "
                    + "event_type = 'schedule_dropped' and payload_canonical = '{\"reason\":\"invalid\","
                    + "\"scheduledId\":\"" + dropped + "\"}'", 1);
            assertThat(count(broker, "select count(*) from mesh.scheduled_message where id = '" + dropped + "'"))
                    .isZero();
        }
        Eventually.await(Duration.ofSeconds(5), "a forbidden fire",
                () -> forbiddenSends(broker) > forbiddenBefore);
        clock.advance(3_000); // retried (every second here) and refused again
        assertThat(count(broker, "select count(*) from mesh.scheduled_message where id = '" + toSecret + "'"))
                .isEqualTo(1);
        assertThat(count(broker, "select count(*) from mesh.topic_message where topic_id in ('" + secret + "', '"
                + foreign + "')")).isZero();

        // bob (the topic's lead) adds alice: the next retry goes through, once
        TopicSupport.fireAndSync(b.ws(), "{\"type\":\"topic_join\",\"topic\":\"secret\",\"member\":\""
                + alice.memberId() + "\"}");
        clock.advance(2_000);
        String push = b.ws().await(s -> s.contains("\"topic\":\"secret\""), 5_000);
        assertThat(Json.object(push)).containsEntry("ciphertext", b64("let me in"))
                .containsEntry("senderMemberId", alice.memberId());
        Sql.await(broker.databaseUrl(), "select count(*) from mesh.scheduled_message where id = '" + toSecret + "'", 0);
        clock.advance(3_000);
        assertThat(count(broker, "select count(*) from mesh.topic_message where topic_id = '" + secret + "'"))
                .isEqualTo(1);
        a.ws().close();
        b.ws().close();
    }

    // ------------------------------------------------------------------------------------------ restarts

    @Test
    void shouldFireExactlyOnceAcrossARestartBetweenSchedulingAndFiringEvenWithNobodyConnected() throws Exception {
        OffsetClock own = new OffsetClock();
        try (BrokerFixture b = new BrokerFixture(SETTINGS, own)) {
            String mesh = b.createMesh("sched-restart");
            Identities.MemberKeys alice = b.addMember(mesh, "alice");
            Identities.MemberKeys bob = b.addMember(mesh, "bob");
            WsClient a = hello(b, own, alice, "a");
            String toBob = schedule(a, bob.pubkey(), "for bob", own.millis() + 30 * MIN);
            String toSelf = schedule(a, alice.pubkey(), "for me", own.millis() + 30 * MIN);

            b.stop();
            b.start();
            own.advance(30 * MIN);
            // nobody connected: the mesh was opened at boot, the reminder is queued for alice's member key
            Sql.await(b.databaseUrl(), "select count(*) from mesh.message_queue where mesh_id = '" + mesh
                    + "' and target_key = '" + alice.pubkey() + "' and subtype = 'reminder'", 1);
            Sql.await(b.databaseUrl(), "select count(*) from mesh.scheduled_message where id = '" + toSelf + "'", 0);
            // bob is offline: kept and retried, not marked fired (defect 9)
            assertThat(count(b, "select count(*) from mesh.scheduled_message where id = '" + toBob + "'")).isEqualTo(1);

            WsClient bobDaemon = hello(b, own, bob, "bob-daemon");
            String push = bobDaemon.await(s -> s.contains("\"type\":\"push\",\"messageId\""), 5_000);
            assertThat(Json.object(push)).containsEntry("senderPubkey", alice.pubkey())
                    .containsEntry("ciphertext", b64("for bob")).doesNotContainKey("subtype");
            Sql.await(b.databaseUrl(), "select count(*) from mesh.scheduled_message where mesh_id = '" + mesh + "'", 0);

            // nothing is left to fire: another restart sends nothing again
            b.stop();
            b.start();
            own.advance(60 * MIN);
            WsClient a2 = hello(b, own, alice, "a2");
            String reminder = a2.await(s -> s.contains("\"type\":\"push\",\"messageId\""), 5_000);
            // sent after the restart: the creating lease is gone, so as the member (its key and name)
            assertThat(reminder).endsWith(",\"senderName\":\"alice\",\"subtype\":\"reminder\"}");
            assertThat(Json.object(reminder)).containsEntry("senderPubkey", alice.pubkey());
            roundTrip(a2);
            assertThat(pushes(a2)).hasSize(1);
            assertThat(count(b, "select count(*) from mesh.message_queue where mesh_id = '" + mesh + "'")).isEqualTo(2);
            a2.close();
        }
    }

    @Test
    void shouldFireAOneShotThatFellDueWhileTheBrokerWasDownAndSkipMissedCronFires() throws Exception {
        OffsetClock own = new OffsetClock();
        try (BrokerFixture b = new BrokerFixture(SETTINGS, own)) {
            String mesh = b.createMesh("sched-down");
            Identities.MemberKeys gina = b.addMember(mesh, "gina");
            WsClient g = hello(b, own, gina, "g");
            String oneShot = schedule(g, gina.pubkey(), "overdue", own.millis() + 10 * MIN);
            String cronAck = request(g, "{\"type\":\"schedule\",\"to\":\"" + gina.pubkey() + "\",\"message\":\"hourly\","
                    + "\"deliverAt\":0,\"cron\":\"30 * * * *\"}", "scheduled_ack");
            String cron = jsonField(cronAck, "scheduledId");

            b.stop();
            own.advance(3 * 60 * MIN); // down for three hours: the one-shot and three cron fires fall due
            long bootMs = own.millis();
            b.start();

            Sql.await(b.databaseUrl(), "select count(*) from mesh.scheduled_message where id = '" + oneShot + "'", 0);
            assertThat(count(b, "select count(*) from mesh.message_queue where mesh_id = '" + mesh + "'")).isEqualTo(1);
            long nextFire = Cron.parse("30 * * * *").nextAfter(bootMs);
            Sql.await(b.databaseUrl(), "select count(*) from mesh.scheduled_message where id = '" + cron
                    + "' and fired_count = 0 and deliver_at >= 'epoch'::timestamptz + " + nextFire
                    + " * interval '1 millisecond' and deliver_at < 'epoch'::timestamptz + " + (nextFire + 60 * MIN)
                    + " * interval '1 millisecond'", 1);

            own.advance(nextFire - own.millis() + 1_000);
            Sql.await(b.databaseUrl(), "select count(*) from mesh.scheduled_message where id = '" + cron
                    + "' and fired_count = 1", 1);
            assertThat(count(b, "select count(*) from mesh.message_queue where mesh_id = '" + mesh + "'")).isEqualTo(2);
            WsClient g2 = hello(b, own, gina, "g2");
            String first = g2.await(s -> s.contains(b64("overdue")), 5_000);
            String second = g2.await(s -> s.contains(b64("hourly")), 5_000);
            assertThat(first).endsWith(",\"subtype\":\"reminder\"}");
            assertThat(second).endsWith(",\"subtype\":\"reminder\"}");
            g2.close();
        }
    }

    @Test
    void shouldCompleteAScheduledTopicSendCommittedJustBeforeAStopWithoutSendingItAgain() throws Exception {
        // the scheduler recognises a committed fire by its message_queue row: a topic send stores that row and its
        // history row, in one transaction, under the id the scheduler recorded before sending
        OffsetClock own = new OffsetClock();
        try (BrokerFixture b = new BrokerFixture(SETTINGS, own)) {
            String mesh = b.createMesh("sched-topic-crash");
            Identities.MemberKeys alice = b.addMember(mesh, "alice");
            Identities.MemberKeys bob = b.addMember(mesh, "bob");
            WsClient a = hello(b, own, alice, "a");
            WsClient bo = hello(b, own, bob, "bo");
            String topic = TopicSupport.createTopic(a, "ops", null);
            TopicSupport.fireAndSync(bo, "{\"type\":\"topic_join\",\"topic\":\"ops\"}");
            String id = schedule(a, "#" + topic, "exactly once", own.millis() + 10 * MIN);
            // the entry's completion cannot be written: the broker stops between the send and the row's deletion
            Sql.execute(b.databaseUrl(), "create function mesh.it_keep_schedules() returns trigger language plpgsql "
                    + "as $$ begin raise exception 'kept by the test'; end $$");
            Sql.execute(b.databaseUrl(), "create trigger it_keep_schedules before delete on mesh.scheduled_message "
                    + "for each row execute function mesh.it_keep_schedules()");
            own.advance(10 * MIN);
            String push = bo.await(s -> s.contains("\"topic\":\"ops\""), 5_000);
            String messageId = jsonField(push, "messageId");
            Sql.await(b.databaseUrl(), "select count(*) from mesh.scheduled_message where id = '" + id
                    + "' and pending_message_id = '" + messageId + "'", 1);
            assertThat(count(b, "select count(*) from mesh.topic_message where id = '" + messageId + "'"))
                    .isEqualTo(1);
            a.close();
            bo.close();
            b.stop();
            Sql.execute(b.databaseUrl(), "drop trigger it_keep_schedules on mesh.scheduled_message");

            b.start();
            own.advance(MIN);
            Sql.await(b.databaseUrl(), "select count(*) from mesh.scheduled_message where id = '" + id + "'", 0);
            own.advance(5 * MIN);
            WsClient bo2 = hello(b, own, bob, "bo2");
            String history = TopicSupport.request(bo2, "{\"type\":\"topic_history\",\"topic\":\"ops\"");
            assertThat(history).contains("\"id\":\"" + messageId + "\"");
            assertThat(count(b, "select count(*) from mesh.topic_message where topic_id = '" + topic + "'"))
                    .isEqualTo(1);
            assertThat(count(b, "select count(*) from mesh.message_queue where target_key = '#" + topic + "'"))
                    .isEqualTo(1);
            bo2.close();
        }
    }

    /** A plain hello on broker {@code b} signed with {@code c}. */
    private static WsClient hello(BrokerFixture b, OffsetClock c, Identities.MemberKeys m, String name) {
        WsClient ws = b.ws();
        ws.send(Identities.hello(m, null, name, c.millis(), name));
        assertThat(ws.await(s -> s.contains("\"type\":\"hello_ack\"") || s.contains("\"type\":\"error\""), 5_000))
                .contains("hello_ack");
        return ws;
    }
}
