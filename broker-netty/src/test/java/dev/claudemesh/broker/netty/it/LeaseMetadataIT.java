package dev.claudemesh.broker.netty.it;

import dev.claudemesh.broker.core.crypto.Ed25519;
import dev.claudemesh.broker.core.testing.Identities;
import dev.claudemesh.broker.db.testing.Eventually;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.claudemesh.broker.netty.it.BrokerFixture.jsonField;
import static dev.claudemesh.broker.netty.it.ControlPlane.event;
import static dev.claudemesh.broker.netty.it.ControlPlane.hello;
import static dev.claudemesh.broker.netty.it.ControlPlane.peers;
import static dev.claudemesh.broker.netty.it.ControlPlane.request;
import static dev.claudemesh.broker.netty.it.ControlPlane.row;
import static dev.claudemesh.broker.netty.it.ControlPlane.rowOfSession;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Lease metadata (PROTOCOL-MESH §3) against a real broker: {@code set_profile}, {@code set_visible} and
 * {@code set_stats}, their replies and every error, how {@code list_peers} shows them (rows joined to their own lease,
 * §16 defect 12), and what a hidden lease misses (other members' lists, multicast) and still gets (DMs). "Nothing
 * else arrived" is shown with a {@code list_peers} round trip on the same socket.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LeaseMetadataIT {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String NONCE = "bm9uY2U=";
    private static final String CT = "aGVsbG8=";

    private BrokerFixture broker;
    private final List<WsClient> opened = new ArrayList<>();

    @BeforeAll
    void start() throws Exception {
        broker = new BrokerFixture(Map.of("SEND_RATE_LIMIT_PER_MIN", "0", "LEASE_METADATA_MAX_BYTES", "256"));
    }

    @AfterAll
    void stop() {
        broker.close();
    }

    @BeforeEach
    void earlierSocketsClosed() {
        awaitOpenSockets();
    }

    @AfterEach
    void dropSockets() {
        opened.forEach(WsClient::abort);
        opened.clear();
        awaitOpenSockets();
    }

    private void awaitOpenSockets() {
        Eventually.await(WAIT, "no open peer sockets",
                () -> broker.server().broker().metrics().connectionsActive.get() == 0);
    }

    private BrokerFixture.Peer session(Identities.MemberKeys m, String sessionId) {
        BrokerFixture.Peer p = broker.session(m, Ed25519.generate(), sessionId, null);
        opened.add(p.ws());
        return p;
    }

    private ControlPlane.Hello daemon(Identities.MemberKeys m, String sessionId) {
        ControlPlane.Hello h = hello(broker, m, sessionId);
        opened.add(h.ws());
        return h;
    }

    @Test
    void shouldSetTheProfileKeyByKeyAndAnswerAckShaped() throws Exception {
        String mesh = broker.createMesh("lm-profile");
        BrokerFixture.Peer a = session(broker.addMember(mesh, "alice"), "a");
        BrokerFixture.Peer b = session(broker.addMember(mesh, "bob"), "b");

        a.ws().send("{\"type\":\"set_profile\",\"avatar\":\"🦊\",\"title\":\"reviewer\",\"bio\":\"one line\","
                + "\"capabilities\":[\"go\",\"sql\"],\"role\":\"ignored\",\"_reqId\":\"r2\"}");
        assertThat(a.ws().await("\"_reqId\":\"r2\""))
                .isEqualTo("{\"type\":\"ack\",\"id\":\"r2\",\"messageId\":\"\",\"queued\":false,\"_reqId\":\"r2\"}");
        // a key that is present overwrites (null included); absent keys stay; no _reqId: id ""
        a.ws().send("{\"type\":\"set_profile\",\"bio\":null,\"title\":\"lead\"}");
        assertThat(a.ws().awaitType("ack")).isEqualTo("{\"type\":\"ack\",\"id\":\"\",\"messageId\":\"\","
                + "\"queued\":false}");
        a.ws().send("{\"type\":\"set_profile\",\"avatar\":\"x\",\"_reqId\":7}");
        assertThat(a.ws().await("\"_reqId\":7")).isEqualTo("{\"type\":\"ack\",\"id\":7,\"messageId\":\"\","
                + "\"queued\":false,\"_reqId\":7}");

        Map<String, Object> seen = row(peers(b.ws()), a.key());
        @SuppressWarnings("unchecked")
        Map<String, Object> profile = (Map<String, Object>) seen.get("profile");
        assertThat(profile.keySet()).containsExactly("avatar", "title", "bio", "capabilities");
        assertThat(profile).containsEntry("avatar", "x").containsEntry("title", "lead").containsEntry("bio", null)
                .containsEntry("capabilities", List.of("go", "sql"));
        assertThat(b.ws().all("\"event\"").stream().filter(f -> f.contains("profile"))).isEmpty(); // no push
    }

    @Test
    void shouldRefuseIllTypedOrOversizedProfilesAndKeepTheOldOne() throws Exception {
        String mesh = broker.createMesh("lm-profile-bad");
        BrokerFixture.Peer a = session(broker.addMember(mesh, "alice"), "a");
        request(a.ws(), "{\"type\":\"set_profile\",\"title\":\"kept\"");

        Map<String, Object> e1 = request(a.ws(), "{\"type\":\"set_profile\",\"avatar\":42");
        assertThat(e1).containsEntry("type", "error").containsEntry("code", "bad_request")
                .containsEntry("message", "set_profile: avatar must be a string or null");
        Map<String, Object> e2 = request(a.ws(), "{\"type\":\"set_profile\",\"capabilities\":[\"go\",1]");
        assertThat(e2).containsEntry("code", "bad_request")
                .containsEntry("message", "set_profile: capabilities must be an array of strings or null");
        Map<String, Object> e3 = request(a.ws(), "{\"type\":\"set_profile\",\"bio\":\"" + "x".repeat(300) + "\"");
        assertThat(e3).containsEntry("code", "bad_request");
        assertThat((String) e3.get("message")).startsWith("set_profile: profile of ").endsWith(
                " bytes > 256 (LEASE_METADATA_MAX_BYTES)");
        assertThat(e3.keySet()).containsExactly("type", "code", "message", "_reqId");

        assertThat(row(peers(a.ws()), a.key())).containsEntry("profile", Map.of("title", "kept"));
        assertThat(broker.server().broker().metrics().requestErrors().get("set_profile").get("bad_request").sum())
                .isEqualTo(3);
    }

    @Test
    void shouldHideALeaseFromOtherMembersAndMulticastButStillDeliverItsDms() throws Exception {
        String mesh = broker.createMesh("lm-hidden");
        Identities.MemberKeys carolKeys = broker.addMember(mesh, "carol");
        BrokerFixture.Peer alice = session(broker.addMember(mesh, "alice"), "a");
        BrokerFixture.Peer carol = session(carolKeys, "c");
        BrokerFixture.Peer carolSibling = session(carolKeys, "c2");
        BrokerFixture.Peer bob = session(broker.addMember(mesh, "bob"), "b");

        Map<String, Object> ack = request(carol.ws(), "{\"type\":\"set_visible\",\"visible\":false");
        assertThat(ack).containsEntry("type", "ack").containsEntry("queued", false).containsEntry("messageId", "");

        // every other lease hears it, the sibling included
        for (BrokerFixture.Peer p : List.of(alice, carolSibling, bob)) {
            assertThat(event(p.ws(), "peer_hidden")).isEqualTo(Map.of("name", "n-c", "pubkey", carol.key()));
        }
        assertThat(row(peers(alice.ws()), carol.key())).as("hidden from other members").isNull();
        assertThat(row(peers(carolSibling.ws()), carol.key())).as("listed to its own member")
                .containsEntry("visible", false);
        assertThat(row(peers(alice.ws()), carolSibling.key())).containsEntry("visible", true);

        // multicast skips it; its sibling (same member as the hidden one, other lease) still gets it
        alice.ws().send(Identities.send("mc1", "*", "now", NONCE, CT));
        String mcId = jsonField(alice.ws().await("\"id\":\"mc1\""), "messageId");
        bob.ws().await("\"messageId\":\"" + mcId + "\"");
        carolSibling.ws().await("\"messageId\":\"" + mcId + "\"");
        peers(carol.ws());
        assertThat(carol.ws().all(mcId)).isEmpty();

        // a DM still reaches it
        alice.ws().send(Identities.send("dm1", carol.key(), "now", NONCE, CT));
        String dmId = jsonField(alice.ws().await("\"id\":\"dm1\""), "messageId");
        assertThat(carol.ws().await("\"messageId\":\"" + dmId + "\"")).contains("\"ciphertext\":\"" + CT + "\"");

        request(carol.ws(), "{\"type\":\"set_visible\",\"visible\":true");
        assertThat(event(alice.ws(), "peer_visible")).isEqualTo(Map.of("name", "n-c", "pubkey", carol.key()));
        assertThat(row(peers(alice.ws()), carol.key())).containsEntry("visible", true);
        alice.ws().send(Identities.send("mc2", "*", "now", NONCE, CT));
        String mc2 = jsonField(alice.ws().await("\"id\":\"mc2\""), "messageId");
        carol.ws().await("\"messageId\":\"" + mc2 + "\"");
    }

    @Test
    void shouldRefuseAVisibilityThatIsNotABoolean() throws Exception {
        String mesh = broker.createMesh("lm-visible-bad");
        BrokerFixture.Peer a = session(broker.addMember(mesh, "alice"), "a");
        BrokerFixture.Peer b = session(broker.addMember(mesh, "bob"), "b");

        for (String bad : List.of("\"no\"", "0", "null")) {
            Map<String, Object> e = request(a.ws(), "{\"type\":\"set_visible\",\"visible\":" + bad);
            assertThat(e).containsEntry("code", "bad_request")
                    .containsEntry("message", "set_visible needs visible: true or false");
        }
        Map<String, Object> missing = request(a.ws(), "{\"type\":\"set_visible\"");
        assertThat(missing).containsEntry("code", "bad_request");
        assertThat(row(peers(b.ws()), a.key())).containsEntry("visible", true);
        assertThat(b.ws().all("peer_hidden")).isEmpty();
    }

    @Test
    void shouldShowStatsWithoutAReplyAndRefuseBadOnes() throws Exception {
        String mesh = broker.createMesh("lm-stats");
        BrokerFixture.Peer a = session(broker.addMember(mesh, "alice"), "a");
        BrokerFixture.Peer b = session(broker.addMember(mesh, "bob"), "b");

        a.ws().send("{\"type\":\"set_stats\",\"stats\":{\"messagesIn\":3,\"messagesOut\":5,\"toolCalls\":12,"
                + "\"uptime\":1200.5,\"errors\":0}}");
        assertThat(row(peers(a.ws()), a.key()).get("stats")).isEqualTo(Map.of("messagesIn", 3L, "messagesOut", 5L,
                "toolCalls", 12L, "uptime", 1200.5, "errors", 0L));
        assertThat(a.ws().all("\"type\":\"ack\"")).as("no reply on success").isEmpty();
        assertThat(row(peers(b.ws()), a.key())).containsKey("stats");

        assertThat(request(a.ws(), "{\"type\":\"set_stats\",\"stats\":\"busy\"")).containsEntry("code",
                "bad_request").containsEntry("message", "set_stats: stats must be an object");
        assertThat(request(a.ws(), "{\"type\":\"set_stats\",\"stats\":{\"messagesIn\":-1}")).containsEntry("message",
                "set_stats: messagesIn must be a non-negative integer");
        assertThat(request(a.ws(), "{\"type\":\"set_stats\",\"stats\":{\"toolCalls\":1.5}")).containsEntry("message",
                "set_stats: toolCalls must be a non-negative integer");
        assertThat((String) request(a.ws(), "{\"type\":\"set_stats\",\"stats\":{\"note\":\"" + "x".repeat(300)
                + "\"}").get("message")).endsWith("bytes > 256 (LEASE_METADATA_MAX_BYTES)");
        assertThat(row(peers(a.ws()), a.key()).get("stats")).as("unchanged").isEqualTo(Map.of("messagesIn", 3L,
                "messagesOut", 5L, "toolCalls", 12L, "uptime", 1200.5, "errors", 0L));

        // absent stats: {} (the original's `stats ?? {}`)
        a.ws().send("{\"type\":\"set_stats\"}");
        assertThat(row(peers(a.ws()), a.key()).get("stats")).isEqualTo(Map.of());
    }

    @Test
    void shouldShowEachRowItsOwnLeasesMetadataWithTheFieldsInOrder() throws Exception {
        // §16 defect 12 / §3.4 [fix]: the original decorated a daemon row (no session key) with whichever lease of
        // the member registered last, e.g. a session's profile, stats and visibility
        String mesh = broker.createMesh("lm-rows");
        Identities.MemberKeys alice = broker.addMember(mesh, "alice");
        ControlPlane.Hello daemon = daemon(alice, "daemon-1");
        daemon.ws().send("{\"type\":\"set_stats\",\"stats\":{\"messagesIn\":1}}");
        BrokerFixture.Peer session = session(alice, "s1");
        request(session.ws(), "{\"type\":\"set_profile\",\"title\":\"session title\"");
        session.ws().send("{\"type\":\"set_stats\",\"stats\":{\"messagesIn\":99}}");
        request(session.ws(), "{\"type\":\"set_visible\",\"visible\":false");

        List<Map<String, Object>> rows = peers(daemon.ws());
        Map<String, Object> daemonRow = rowOfSession(rows, "daemon-1");
        assertThat(daemonRow.keySet()).containsExactly("pubkey", "memberPubkey", "displayName", "status", "summary",
                "groups", "sessionId", "connectedAt", "cwd", "peerRole", "hostname", "peerType", "channel", "stats",
                "visible");
        assertThat(daemonRow).containsEntry("pubkey", alice.pubkey()).containsEntry("peerRole", "control-plane")
                .containsEntry("stats", Map.of("messagesIn", 1L)).containsEntry("visible", true);
        Map<String, Object> sessionRow = rowOfSession(rows, "s1");
        assertThat(sessionRow.keySet()).containsExactly("pubkey", "memberPubkey", "displayName", "status", "summary",
                "groups", "sessionId", "connectedAt", "cwd", "peerRole", "hostname", "channel", "stats", "visible",
                "profile");
        assertThat(sessionRow).containsEntry("pubkey", session.key()).containsEntry("visible", false)
                .containsEntry("stats", Map.of("messagesIn", 99L))
                .containsEntry("profile", Map.of("title", "session title"));
    }
}
