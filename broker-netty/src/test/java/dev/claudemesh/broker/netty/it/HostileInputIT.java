package dev.claudemesh.broker.netty.it;

import dev.claudemesh.broker.core.crypto.Ed25519;
import dev.claudemesh.broker.core.envelope.JsonOut;
import dev.claudemesh.broker.core.testing.Identities;
import io.netty.buffer.PooledByteBufAllocator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestInstance;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static dev.claudemesh.broker.netty.it.BrokerFixture.jsonField;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hostile input on the WebSocket against a real broker and database: malformed and deeply nested JSON, huge numbers,
 * invalid UTF-8, control characters and lone surrogates in stored strings, every field of every message with the
 * wrong JSON type, oversized and fragmented frames, a conversation written one byte per TCP segment, a ping flood
 * from a peer that does not read, and thousands of sockets that never say hello. Each attack must get exactly the
 * protocol's answer, leak nothing (LeakFailExtension) and leave a bystander pair's DMs flowing ({@link Bystanders}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HostileInputIT {

    private static final String NONCE = "bm9uY2Vub25jZQ==";
    private static final String CT = "Y2lwaGVydGV4dA==";
    private static final int FRAME_LIMIT = 65_536 + 16_384;
    private static final int HELLO_TIMEOUT_MS = 1_500;

    private BrokerFixture broker;
    private Bystanders bystanders;

    @BeforeAll
    void start() throws Exception {
        broker = new BrokerFixture(Map.of("BROKER_HELLO_TIMEOUT_MS", String.valueOf(HELLO_TIMEOUT_MS),
                "SEND_RATE_LIMIT_PER_MIN", "0"));
        bystanders = new Bystanders(broker);
    }

    @AfterEach
    void bystandersStillTalk() throws Exception {
        bystanders.assertUnaffected();
        assertThat(broker.server().durable().stats().failedAttempts()).as("durable writer never failed a batch").isZero();
    }

    @AfterAll
    void stop() {
        bystanders.close();
        broker.close();
    }

    private static long now() {
        return System.currentTimeMillis();
    }

    private static String q(String s) {
        return new JsonOut().value(s).toString();
    }

    private static String badRequest(String message) {
        return "{\"type\":\"error\",\"code\":\"bad_request\",\"message\":\"" + message + "\"}";
    }

    /** A mesh with an attacker (member, connected session) and a target member (connected session). */
    private record Arena(String mesh, Identities.MemberKeys attackerMember, BrokerFixture.Peer attacker,
                         Identities.MemberKeys targetMember, BrokerFixture.Peer target) implements AutoCloseable {
        @Override
        public void close() {
            attacker.ws().close();
            target.ws().close();
        }
    }

    private Arena arena(String slug) throws Exception {
        String mesh = broker.createMesh(slug);
        Identities.MemberKeys am = broker.addMember(mesh, "mallory");
        Identities.MemberKeys tm = broker.addMember(mesh, "tess");
        return new Arena(mesh, am, broker.session(am, slug + "-m"), tm, broker.session(tm, slug + "-t"));
    }

    /**
     * Sends {@code frame} on an authenticated socket, then a {@code list_peers} fence, and returns what came in
     * between (frames are handled in order, so that is the reply to {@code frame}), or null when nothing did.
     * Pushes are not replies and are skipped. Not for a successful DM, whose ack waits for the database commit.
     */
    private static String replyTo(WsClient ws, String frame) {
        int before = ws.all("").size();
        ws.send(frame);
        ws.send("{\"type\":\"list_peers\",\"_reqId\":\"fence\"}");
        ws.await(s -> s.contains("\"_reqId\":\"fence\""), 5_000);
        List<String> all = ws.all("");
        List<String> between = all.subList(before, all.size()).stream()
                .filter(s -> !s.contains("\"_reqId\":\"fence\"") && !s.startsWith("{\"type\":\"push\"")).toList();
        assertThat(between).as("replies to %s", frame).hasSizeLessThanOrEqualTo(1);
        return between.isEmpty() ? null : between.get(0);
    }

    // ------------------------------------------------------------------------------------------ malformed JSON

    private static final Map<String, String> MALFORMED = new LinkedHashMap<>();

    static {
        MALFORMED.put("not json", "invalid JSON");
        MALFORMED.put("{", "invalid JSON");
        MALFORMED.put("}", "invalid JSON");
        MALFORMED.put("{\"type\":", "invalid JSON");
        MALFORMED.put("{\"type\":\"send\",}", "invalid JSON");
        MALFORMED.put("{'type':'send'}", "invalid JSON");
        MALFORMED.put("{\"type\" \"send\"}", "invalid JSON");
        MALFORMED.put("{\"a\":NaN}", "invalid JSON");
        MALFORMED.put("{\"a\":01}", "invalid JSON");
        MALFORMED.put("{\"a\":\"raw\u0001control\"}", "invalid JSON");
        MALFORMED.put("{\"a\":\"bad escape \\x\"}", "invalid JSON");
        MALFORMED.put("{\"type\":\"send\"} {\"type\":\"send\"}", "trailing data after JSON object");
        MALFORMED.put("{\"type\":\"send\"}]", "invalid JSON");
        MALFORMED.put("[{\"type\":\"send\"}]", "frame must be a JSON object");
        MALFORMED.put("null", "frame must be a JSON object");
        MALFORMED.put("\"send\"", "frame must be a JSON object");
        MALFORMED.put("42", "frame must be a JSON object");
        MALFORMED.put("", "frame must be a JSON object");
        MALFORMED.put("   ", "frame must be a JSON object");
    }

    @Test
    void shouldAnswerBadRequestToMalformedJsonBeforeAndAfterHelloAndKeepTheSocket() throws Exception {
        try (WsClient ws = broker.ws(); Arena a = arena("malformed")) {
            for (Map.Entry<String, String> e : MALFORMED.entrySet()) {
                ws.send(e.getKey());
                assertThat(ws.awaitType("error")).as("before hello: %s", e.getKey())
                        .isEqualTo(badRequest(e.getValue()));
                assertThat(replyTo(a.attacker().ws(), e.getKey())).as("after hello: %s", e.getKey())
                        .isEqualTo(badRequest(e.getValue()));
            }
            assertThat(ws.closed()).isFalse();
            assertThat(a.attacker().ws().closed()).isFalse();
        }
    }

    @Test
    void shouldRejectNestingBeyond32LevelsWithoutStackTrouble() throws Exception {
        try (Arena a = arena("nesting")) {
            WsClient ws = a.attacker().ws();
            // 32 levels in all (the frame object is level 1) pass; 33 do not; 40 000 cost no more than 33
            String ok = "{\"type\":\"list_peers\",\"_reqId\":\"deep\",\"x\":" + "[".repeat(31) + "]".repeat(31) + "}";
            assertThat(replyTo(ws, ok)).startsWith("{\"type\":\"peers_list\",\"_reqId\":\"deep\"");
            String tooDeep = "{\"type\":\"list_peers\",\"x\":" + "[".repeat(32) + "]".repeat(32) + "}";
            assertThat(replyTo(ws, tooDeep)).isEqualTo(badRequest("JSON too deeply nested or number too long"));
            String bomb = "{\"type\":\"send\",\"x\":" + "{\"a\":".repeat(12_000) + "1" + "}".repeat(12_000) + "}";
            assertThat(bomb.length()).isLessThan(FRAME_LIMIT);
            assertThat(replyTo(ws, bomb)).isEqualTo(badRequest("JSON too deeply nested or number too long"));
            String unbalanced = "[".repeat(40_000);
            assertThat(replyTo(ws, unbalanced)).startsWith("{\"type\":\"error\",\"code\":\"bad_request\"");
        }
    }

    @Test
    void shouldHandleHugeNumbersByTheProtocolsRules() throws Exception {
        try (Arena a = arena("numbers"); WsClient pre = broker.ws()) {
            WsClient ws = a.attacker().ws();
            // more than 64 digits anywhere: refused before any field is used
            String longNumber = "1" + "0".repeat(100);
            pre.send("{\"type\":\"list_peers\",\"x\":" + longNumber + "}");
            assertThat(pre.awaitType("error")).isEqualTo(badRequest("JSON too deeply nested or number too long"));
            assertThat(replyTo(ws, "{\"type\":\"send\",\"id\":" + longNumber + "}"))
                    .isEqualTo(badRequest("JSON too deeply nested or number too long"));
            // a numeric _reqId beyond a long is echoed as text (it used to throw on the mesh loop: no reply at all)
            assertThat(replyTo(ws, "{\"type\":\"list_peers\",\"_reqId\":99999999999999999999}"))
                    .startsWith("{\"type\":\"peers_list\",\"_reqId\":\"99999999999999999999\",");
            assertThat(replyTo(ws, "{\"type\":\"list_peers\",\"_reqId\":9223372036854775807}"))
                    .startsWith("{\"type\":\"peers_list\",\"_reqId\":9223372036854775807,");
            assertThat(replyTo(ws, "{\"type\":\"list_peers\",\"_reqId\":-9223372036854775809}"))
                    .startsWith("{\"type\":\"peers_list\",\"_reqId\":\"-9223372036854775809\",");
            // same for a numeric send id: echoed as given when it fits, as text when it does not
            ws.send("{\"type\":\"send\",\"id\":123456789012345678901234567890,\"targetSpec\":\""
                    + a.target().key() + "\",\"nonce\":\"" + NONCE + "\",\"ciphertext\":\"" + CT + "\"}");
            assertThat(ws.await("\"id\":\"123456789012345678901234567890\"")).startsWith("{\"type\":\"ack\",")
                    .contains("\"queued\":true");
            ws.send("{\"type\":\"send\",\"id\":-42,\"targetSpec\":\"" + a.target().key() + "\",\"nonce\":\""
                    + NONCE + "\",\"ciphertext\":\"" + CT + "\"}");
            assertThat(ws.await("\"id\":-42,")).startsWith("{\"type\":\"ack\",").contains("\"queued\":true");
            assertThat(replyTo(ws, "{\"type\":\"send\",\"id\":1e400,\"targetSpec\":\"" + a.target().key()
                    + "\",\"nonce\":\"" + NONCE + "\",\"ciphertext\":\"" + CT + "\"}"))
                    .isEqualTo("{\"type\":\"ack\",\"id\":null,\"messageId\":\"\",\"queued\":false,"
                            + "\"error\":\"invalid: missing id\"}");
        }
        // a timestamp beyond a long is "not an integer": timestamp_skew
        String mesh = broker.createMesh("bigts");
        Identities.MemberKeys m = broker.addMember(mesh, "m");
        String hello = Identities.hello(m, null, "d", now(), "m")
                .replaceFirst("\"timestamp\":\\d+", "\"timestamp\":1" + "0".repeat(40));
        expectRejected(hello, "timestamp_skew", "hello");
        // a pid of 1e308 is not an integer: ignored like any other bad optional field
        try (WsClient ws = broker.ws()) {
            ws.send(Identities.hello(m, null, "d", now(), "m").replace("\"pid\":42", "\"pid\":1e308"));
            assertThat(ws.awaitType("hello_ack")).contains("\"memberDisplayName\":\"m\"");
        }
    }

    private void expectRejected(String hello, String code, String kind) {
        try (WsClient ws = broker.ws()) {
            ws.send(hello);
            assertThat(ws.await(s -> s.contains("\"type\":\"error\"") || s.contains("hello_ack"), 5_000))
                    .isEqualTo("{\"type\":\"error\",\"code\":\"" + code + "\",\"message\":\"" + kind
                            + " rejected: " + code + "\"}");
            assertThat(ws.awaitClose(5_000)).isEqualTo(1008);
            assertThat(ws.closeReason()).isEqualTo(code);
        }
    }

    // ------------------------------------------------------------------------------------------ invalid UTF-8

    private static byte[] bytes(String prefix, String hex, String suffix) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(prefix.getBytes(StandardCharsets.UTF_8));
        b.writeBytes(HexFormat.of().parseHex(hex));
        b.writeBytes(suffix.getBytes(StandardCharsets.UTF_8));
        return b.toByteArray();
    }

    @Test
    void shouldAnswerBadRequestToInvalidUtf8InTextAndBinaryFramesBeforeAndAfterHello() throws Exception {
        String mesh = broker.createMesh("utf8");
        Identities.MemberKeys m = broker.addMember(mesh, "m");
        // overlong '/', a UTF-16 surrogate, a code point above U+10FFFF, a bare continuation byte, 0xFF
        List<String> bad = List.of("c0af", "eda080", "f4908080", "80", "ff", "e282");
        try (RawWs pre = RawWs.connect(broker.port()); RawWs post = RawWs.connect(broker.port())) {
            post.sendText(Identities.hello(m, null, "u", now(), "m"));
            assertThat(post.readText()).startsWith("{\"type\":\"hello_ack\"");
            for (String hex : bad) {
                for (int opcode : new int[] {RawWs.TEXT, RawWs.BINARY}) {
                    byte[] summary = bytes("{\"type\":\"set_summary\",\"summary\":\"x", hex, "y\"}");
                    pre.send(true, opcode, summary);
                    assertThat(pre.readText()).as("before hello, %s, opcode %d", hex, opcode)
                            .isEqualTo(badRequest("invalid UTF-8"));
                    post.send(true, opcode, summary);
                    assertThat(post.readText()).as("after hello, %s, opcode %d", hex, opcode)
                            .isEqualTo(badRequest("invalid UTF-8"));
                }
            }
            // the sockets are fine: valid UTF-8 (binary frames are UTF-8 JSON too) is still served
            post.send(true, RawWs.BINARY, "{\"type\":\"list_peers\",\"_reqId\":\"κόσμε\"}".getBytes(StandardCharsets.UTF_8));
            assertThat(post.readText()).startsWith("{\"type\":\"peers_list\",\"_reqId\":\"κόσμε\"");
            pre.sendText("{\"type\":\"list_peers\",\"_reqId\":\"still\"}");
            assertThat(pre.readText()).contains("\"code\":\"no_hello\"");
        }
    }

    // ------------------------------------------------------------------------------------------ stored strings

    /** Every JSON-escapable hazard: NUL, C0 controls, quote, backslash, line separators, lone surrogates, astral. */
    private static final String EVIL = "a\u0000b\u0001\u001f\n\r\t\"\\/\u2028\u2029\ud800x\udc00y\udbff\ud83d\ude00z\u007f";

    @Test
    void shouldStoreAndEchoControlCharactersAndLoneSurrogatesEscaped() throws Exception {
        String mesh = broker.createMesh("strings");
        Identities.MemberKeys evilMember = broker.addMember(mesh, "evil");
        Identities.MemberKeys observerMember = broker.addMember(mesh, "observer");
        BrokerFixture.Peer observer = broker.session(observerMember, "obs");
        Ed25519.KeyPair evilKey = Ed25519.generate();
        String escapedName = q(EVIL);
        String displayNameJson = escapedName.substring(1, escapedName.length() - 1);
        String groups = "[{\"name\":" + q("g" + EVIL) + ",\"role\":" + q("r" + EVIL) + "}]";
        WsClient evil = broker.ws();
        try {
            evil.send(Identities.sessionHello(evilMember, evilKey, "evil-session", now(), 3_600_000, displayNameJson,
                    groups));
            String presenceId = jsonField(evil.awaitType("hello_ack"), "presenceId");
            assertThat(replyTo(evil, new JsonOut().beginObject().field("type", "set_summary").field("summary", "s" + EVIL)
                    .endObject().toString())).isNull();
            assertThat(replyTo(evil, new JsonOut().beginObject().field("type", "join_group").field("name", "j" + EVIL)
                    .field("role", "lead").endObject().toString())).isNull();

            observer.ws().send("{\"type\":\"list_peers\",\"_reqId\":\"evil\"}");
            String raw = observer.ws().await("\"_reqId\":\"evil\"");
            // escaped on the wire: no raw control character, each lone surrogate as a \\u escape
            assertThat(raw.chars().filter(c -> c < 0x20).count()).isZero();
            assertThat(raw).contains("a\\u0000b\\u0001\\u001f\\n\\r\\t\\\"\\\\/").contains("\\ud800x\\udc00y\\udbff")
                    .contains("\ud83d\ude00z");
            Map<String, Object> peer = peerWithKey(raw, evilKey.publicKeyHex());
            assertThat(peer.get("displayName")).isEqualTo(EVIL);
            assertThat(peer.get("summary")).isEqualTo("s" + EVIL);
            assertThat(peer.get("groups")).isEqualTo(List.of(Map.of("name", "g" + EVIL, "role", "r" + EVIL),
                    Map.of("name", "j" + EVIL, "role", "lead")));
            // the peer_joined event the observer got carried the same, escaped the same way
            String joined = observer.ws().await(s -> s.contains("\"event\":\"peer_joined\"")
                    && s.contains(evilKey.publicKeyHex()), 5_000);
            assertThat(((Map<?, ?>) Json.object(joined).get("eventData")).get("name")).isEqualTo(EVIL);

            // stored: the presence row was written (NUL replaced, since PostgreSQL text cannot hold it)
            Sql.await(broker.databaseUrl(), "select count(*) from mesh.presence where id = '" + presenceId
                    + "' and display_name like 'a%b%z%'", 1);
            // and the audit chain, whose peer_joined payload holds the group names, still verifies
            var verify = broker.admin("GET", "/admin/meshes/" + mesh + "/audit/verify", null);
            assertThat(verify.body()).startsWith("{\"ok\":true");
        } finally {
            evil.close();
            observer.ws().close();
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> peerWithKey(String peersList, String key) {
        List<Object> peers = (List<Object>) Json.object(peersList).get("peers");
        for (Object p : peers) {
            Map<String, Object> m = (Map<String, Object>) p;
            if (key.equals(m.get("pubkey"))) {
                return m;
            }
        }
        throw new AssertionError("no peer " + key + " in " + peersList);
    }

    // ------------------------------------------------------------------------------------------ wrong field types

    /** JSON values of each kind, to put where another kind is expected. */
    private static final List<String> NOT_STRINGS = List.of("42", "{\"a\":1}", "[\"x\"]", "true");
    private static final List<String> NOT_NUMBERS = List.of("\"42\"", "{}", "[1]", "false");
    private static final List<String> NOT_ARRAYS = List.of("42", "\"be\"", "{\"name\":\"be\"}", "true");
    private static final List<String> NOT_OBJECTS = List.of("42", "\"att\"", "[]", "true");
    private static final String ACCEPTED = "hello_ack";
    private static final String NO_HELLO = "no_hello";

    private static String obj(Map<String, String> raw) {
        StringBuilder sb = new StringBuilder("{");
        for (Map.Entry<String, String> e : raw.entrySet()) {
            if (sb.length() > 1) {
                sb.append(',');
            }
            sb.append(q(e.getKey())).append(':').append(e.getValue());
        }
        return sb.append('}').toString();
    }

    private static Map<String, String> helloFields(Identities.MemberKeys m, long ts) {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("type", q("hello"));
        f.put("meshId", q(m.meshId()));
        f.put("memberId", q(m.memberId()));
        f.put("pubkey", q(m.pubkey()));
        f.put("sessionPubkey", q(Ed25519.generate().publicKeyHex()));
        f.put("displayName", q("daemon"));
        f.put("sessionId", q("dup"));
        f.put("pid", "42");
        f.put("cwd", q("/w"));
        f.put("hostname", q("h"));
        f.put("peerType", q("ai"));
        f.put("channel", q("claudemesh-daemon"));
        f.put("model", q("opus"));
        f.put("groups", "[{\"name\":\"be\",\"role\":\"lead\"}]");
        f.put("timestamp", Long.toString(ts));
        f.put("signature", q(Ed25519.sign(m.keys().seed(), m.meshId() + "|" + m.memberId() + "|" + m.pubkey() + "|" + ts)));
        return f;
    }

    private static Map<String, String> sessionHelloFields(Identities.MemberKeys parent, long ts,
                                                          Map<String, String> attOverride) {
        Ed25519.KeyPair session = Ed25519.generate();
        long expiresAt = ts + 3_600_000;
        Map<String, String> att = new LinkedHashMap<>();
        att.put("sessionPubkey", q(session.publicKeyHex()));
        att.put("parentMemberPubkey", q(parent.pubkey()));
        att.put("expiresAt", Long.toString(expiresAt));
        att.put("signature", q(Ed25519.sign(parent.keys().seed(), "claudemesh-session-attest|" + parent.pubkey() + "|"
                + session.publicKeyHex() + "|" + expiresAt)));
        att.putAll(attOverride);
        Map<String, String> f = new LinkedHashMap<>();
        f.put("type", q("session_hello"));
        f.put("meshId", q(parent.meshId()));
        f.put("parentMemberId", q(parent.memberId()));
        f.put("parentMemberPubkey", q(parent.pubkey()));
        f.put("sessionPubkey", q(session.publicKeyHex()));
        f.put("parentAttestation", obj(att));
        f.put("displayName", q("sess"));
        f.put("sessionId", q("dup"));
        f.put("pid", "5150");
        f.put("cwd", q("/w"));
        f.put("hostname", q("h"));
        f.put("channel", q("claudemesh-session"));
        f.put("groups", "[]");
        f.put("role", q("dev"));
        f.put("timestamp", Long.toString(ts));
        f.put("signature", q(Ed25519.sign(session.seed(), "claudemesh-session-hello|" + parent.meshId() + "|"
                + parent.pubkey() + "|" + session.publicKeyHex() + "|" + ts)));
        return f;
    }

    private record HelloCase(String kind, String field, String value, String expected) { }

    /** hello and session_hello: each field with each wrong kind of value, and the protocol's answer (§3.1–3.2). */
    private static List<HelloCase> helloCases() {
        List<HelloCase> cases = new ArrayList<>();
        Map<String, String> hello = new LinkedHashMap<>();
        hello.put("type", NO_HELLO);
        hello.put("meshId", "malformed");
        hello.put("memberId", "malformed");
        hello.put("pubkey", "malformed");
        hello.put("signature", "malformed");
        hello.put("sessionPubkey", "bad_session_pubkey");
        for (String optional : List.of("displayName", "sessionId", "cwd", "hostname", "peerType", "channel", "model")) {
            hello.put(optional, ACCEPTED); // optional metadata of the wrong type is ignored, like an unknown field
        }
        hello.forEach((field, expected) -> NOT_STRINGS.forEach(v -> cases.add(new HelloCase("hello", field, v, expected))));
        NOT_NUMBERS.forEach(v -> cases.add(new HelloCase("hello", "timestamp", v, "timestamp_skew")));
        NOT_NUMBERS.forEach(v -> cases.add(new HelloCase("hello", "pid", v, ACCEPTED)));
        NOT_ARRAYS.forEach(v -> cases.add(new HelloCase("hello", "groups", v, ACCEPTED)));

        Map<String, String> session = new LinkedHashMap<>();
        session.put("type", NO_HELLO);
        session.put("meshId", "malformed");
        session.put("parentMemberId", "parent_member_id_mismatch");
        session.put("parentMemberPubkey", "bad_parent_pubkey");
        session.put("sessionPubkey", "bad_session_pubkey");
        session.put("signature", "malformed");
        session.put("parentAttestation.sessionPubkey", "attestation_mismatch");
        session.put("parentAttestation.parentMemberPubkey", "attestation_mismatch");
        session.put("parentAttestation.signature", "malformed");
        for (String optional : List.of("displayName", "sessionId", "cwd", "hostname", "channel", "role")) {
            session.put(optional, ACCEPTED);
        }
        session.forEach((field, expected) ->
                NOT_STRINGS.forEach(v -> cases.add(new HelloCase("session_hello", field, v, expected))));
        NOT_OBJECTS.forEach(v -> cases.add(new HelloCase("session_hello", "parentAttestation", v,
                "attestation_mismatch")));
        NOT_NUMBERS.forEach(v -> cases.add(new HelloCase("session_hello", "parentAttestation.expiresAt", v,
                "malformed")));
        NOT_NUMBERS.forEach(v -> cases.add(new HelloCase("session_hello", "timestamp", v, "timestamp_skew")));
        NOT_NUMBERS.forEach(v -> cases.add(new HelloCase("session_hello", "pid", v, ACCEPTED)));
        NOT_ARRAYS.forEach(v -> cases.add(new HelloCase("session_hello", "groups", v, ACCEPTED)));
        return cases;
    }

    @TestFactory
    Stream<DynamicTest> shouldAnswerEveryWrongTypedHelloFieldAsTheProtocolSays() throws Exception {
        String mesh = broker.createMesh("types-hello");
        Identities.MemberKeys m = broker.addMember(mesh, "typed");
        return helloCases().stream().map(c -> DynamicTest.dynamicTest(c.kind() + "." + c.field() + "=" + c.value()
                + " → " + c.expected(), () -> {
            String frame;
            if (c.kind().equals("hello")) {
                Map<String, String> f = helloFields(m, now());
                f.put(c.field(), c.value());
                frame = obj(f);
            } else if (c.field().startsWith("parentAttestation.")) {
                frame = obj(sessionHelloFields(m, now(), Map.of(c.field().substring("parentAttestation.".length()),
                        c.value())));
            } else {
                Map<String, String> f = sessionHelloFields(m, now(), Map.of());
                f.put(c.field(), c.value());
                frame = obj(f);
            }
            try (WsClient ws = broker.ws()) {
                ws.send(frame);
                String reply = ws.await(s -> s.contains("\"type\":\"error\"") || s.contains("hello_ack"), 5_000);
                switch (c.expected()) {
                    case ACCEPTED -> assertThat(reply).startsWith("{\"type\":\"hello_ack\"");
                    case NO_HELLO -> {
                        assertThat(reply).isEqualTo("{\"type\":\"error\",\"code\":\"no_hello\","
                                + "\"message\":\"must send hello first\"}");
                        assertThat(ws.closed()).isFalse();
                    }
                    default -> {
                        assertThat(reply).isEqualTo("{\"type\":\"error\",\"code\":\"" + c.expected()
                                + "\",\"message\":\"" + c.kind() + " rejected: " + c.expected() + "\"}");
                        assertThat(ws.awaitClose(5_000)).isEqualTo(1008);
                        assertThat(ws.closeReason()).isEqualTo(c.expected());
                    }
                }
            }
        }));
    }

    private record FrameCase(String type, String field, String value, String expected) { }

    private static final String NO_REPLY = "(no reply)";
    /** Marks an expected reply checked by prefix (the rest lists peers or echoes fields). */
    private static final String PREFIX = "prefix:";

    /** Every authenticated message type: each field with each wrong kind of value, and the exact reply. */
    private static List<FrameCase> frameCases() {
        List<FrameCase> cases = new ArrayList<>();
        for (String v : NOT_STRINGS) {
            cases.add(new FrameCase("send", "id", v, v.equals("42") ? "queued" : "{\"type\":\"ack\",\"id\":null,"
                    + "\"client_message_id\":\"CMID\",\"messageId\":\"\",\"queued\":false,\"error\":\"invalid: missing id\"}"));
            cases.add(new FrameCase("send", "client_message_id", v, "{\"type\":\"ack\",\"id\":\"c1\",\"messageId\":\"\","
                    + "\"queued\":false,\"error\":\"invalid: client_message_id has the wrong type\"}"));
            for (String f : List.of("request_fingerprint", "priority", "nonce", "ciphertext")) {
                cases.add(new FrameCase("send", f, v, "{\"type\":\"ack\",\"id\":\"c1\",\"client_message_id\":\"CMID\","
                        + "\"messageId\":\"\",\"queued\":false,\"error\":\"invalid: " + f + " has the wrong type\"}"));
            }
            cases.add(new FrameCase("send", "targetSpec", v, "{\"type\":\"ack\",\"id\":\"c1\",\"client_message_id\":"
                    + "\"CMID\",\"messageId\":\"\",\"queued\":false,\"error\":\"invalid: missing targetSpec\"}"));
            for (String t : List.of("send", "client_ack", "list_peers", "set_status", "set_summary", "join_group",
                    "leave_group")) {
                cases.add(new FrameCase(t, "type", v, PREFIX + "{\"type\":\"error\",\"code\":\"unknown_message_type\","
                        + "\"message\":\"unknown message type: (none)\""));
            }
            cases.add(new FrameCase("client_ack", "clientMessageId", v, NO_REPLY));
            cases.add(new FrameCase("client_ack", "brokerMessageId", v, NO_REPLY));
            cases.add(new FrameCase("list_peers", "_reqId", v, PREFIX + (v.equals("42")
                    ? "{\"type\":\"peers_list\",\"_reqId\":42," : "{\"type\":\"peers_list\",\"peers\":")));
            cases.add(new FrameCase("set_status", "status", v, badRequest("status must be idle, working or dnd")));
            cases.add(new FrameCase("set_summary", "summary", v, badRequest("summary must be a string of at most 1024 chars")));
            cases.add(new FrameCase("join_group", "name", v, badRequest("join_group needs a name of 1..128 chars")));
            cases.add(new FrameCase("join_group", "role", v, badRequest("join_group needs a name of 1..128 chars")));
            cases.add(new FrameCase("leave_group", "name", v, badRequest("leave_group needs a name")));
        }
        return cases;
    }

    private static Map<String, String> baseFrame(String type, String targetKey, String cmid, String pushedId) {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("type", q(type));
        switch (type) {
            case "send" -> {
                f.put("id", q("c1"));
                f.put("client_message_id", q(cmid));
                f.put("request_fingerprint", q("ab12"));
                f.put("targetSpec", q(targetKey));
                f.put("priority", q("now"));
                f.put("nonce", q(NONCE));
                f.put("ciphertext", q(CT));
            }
            case "client_ack" -> {
                f.put("clientMessageId", q("pushed"));
                f.put("brokerMessageId", q(pushedId));
            }
            case "list_peers" -> f.put("_reqId", q("r"));
            case "set_status" -> f.put("status", q("idle"));
            case "set_summary" -> f.put("summary", q("fine"));
            case "join_group", "leave_group" -> {
                f.put("name", q("be"));
                if (type.equals("join_group")) {
                    f.put("role", q("lead"));
                }
            }
            default -> throw new IllegalArgumentException(type);
        }
        return f;
    }

    @TestFactory
    Stream<DynamicTest> shouldAnswerEveryWrongTypedFieldOfEveryMessageAsTheProtocolSays() throws Exception {
        Arena a = arena("types-frames");
        // a DM pushed to the attacker: client_ack cases with wrong types must leave it undelivered
        a.target().ws().send(Identities.send("pushed", a.attacker().key(), "now", NONCE, CT));
        String pushedId = jsonField(a.target().ws().awaitType("ack"), "messageId");
        a.attacker().ws().await("\"messageId\":\"" + pushedId + "\"");
        int[] n = {0};
        List<DynamicTest> tests = new ArrayList<>();
        for (FrameCase c : frameCases()) {
            tests.add(DynamicTest.dynamicTest(c.type() + "." + c.field() + "=" + c.value(), () -> {
                String cmid = "cm-" + (++n[0]);
                Map<String, String> f = baseFrame(c.type(), a.target().key(), cmid, pushedId);
                if (c.type().equals("client_ack") && !c.field().equals("type")) {
                    // only the wrong-typed id: the other one would (rightly) still identify the DM
                    f.remove(c.field().equals("clientMessageId") ? "brokerMessageId" : "clientMessageId");
                }
                f.put(c.field(), c.value());
                String expected = c.expected().replace("CMID", cmid);
                if (expected.equals("queued")) {
                    // a numeric id is legal and echoed as a number; the ack waits for the commit
                    a.attacker().ws().send(obj(f));
                    assertThat(a.attacker().ws().await("\"client_message_id\":\"" + cmid + "\""))
                            .startsWith("{\"type\":\"ack\",\"id\":42,\"client_message_id\":\"" + cmid
                                    + "\",\"messageId\":\"").contains("\"queued\":true");
                    return;
                }
                String reply = replyTo(a.attacker().ws(), obj(f));
                if (expected.equals(NO_REPLY)) {
                    assertThat(reply).isNull();
                } else if (expected.startsWith(PREFIX)) {
                    assertThat(reply).startsWith(expected.substring(PREFIX.length()));
                } else {
                    assertThat(reply).isEqualTo(expected);
                }
            }));
        }
        tests.add(DynamicTest.dynamicTest("the pushed DM is still undelivered, then a correct client_ack lands",
                () -> {
                    assertThat(Sql.count(broker.databaseUrl(), "select count(*) from mesh.message_queue_status where id = '"
                            + pushedId + "' and delivered_at is null")).isEqualTo(1);
                    a.attacker().ws().send("{\"type\":\"client_ack\",\"clientMessageId\":\"pushed\","
                            + "\"brokerMessageId\":\"" + pushedId + "\"}");
                    Sql.await(broker.databaseUrl(), "select count(*) from mesh.message_queue_status where id = '" + pushedId
                            + "' and delivered_at is not null", 1);
                    a.close();
                }));
        return tests.stream();
    }

    // ------------------------------------------------------------------------------------------ frame sizes

    @Test
    void shouldClose1009ForOversizedTextAndBinaryFramesBeforeAndAfterHello() throws Exception {
        String big = "{\"type\":\"send\",\"pad\":\"" + "x".repeat(FRAME_LIMIT) + "\"}";
        try (WsClient pre = broker.ws()) {
            sendIgnoringEarlyClose(() -> pre.send(big));
            assertThat(pre.awaitClose(5_000)).isEqualTo(1009);
        }
        try (Arena a = arena("oversize")) {
            sendIgnoringEarlyClose(() -> a.attacker().ws().raw()
                    .sendBinary(java.nio.ByteBuffer.wrap(big.getBytes(StandardCharsets.UTF_8)), true).join());
            assertThat(a.attacker().ws().awaitClose(5_000)).isEqualTo(1009);
            assertThat(a.target().ws().closed()).isFalse();
        }
        // exactly at the limit still passes, as an error ack for a payload over MAX_MESSAGE_BYTES
        try (Arena a = arena("atlimit")) {
            String head = "{\"type\":\"send\",\"id\":\"big\",\"targetSpec\":\"" + a.target().key()
                    + "\",\"nonce\":\"" + NONCE + "\",\"ciphertext\":\"";
            String atLimit = head + "A".repeat(FRAME_LIMIT - head.length() - 2) + "\"}";
            assertThat(atLimit.length()).isEqualTo(FRAME_LIMIT);
            assertThat(replyTo(a.attacker().ws(), atLimit)).startsWith("{\"type\":\"ack\",\"id\":\"big\",\"messageId\":\"\","
                    + "\"queued\":false,\"error\":\"payload_too_large: ");
        }
    }

    private Identities.MemberKeys oversizeMember;

    /**
     * Issue 11 §2: the broker answers 1009 as soon as the frame header arrives, while the client is still sending the
     * rest of the frame. The close frame must reach the client all the same (RFC 6455 §7: the broker keeps reading,
     * and discarding, until the client answers the close or closes TCP), before and after hello, every time.
     */
    @RepeatedTest(50)
    void shouldDeliverThe1009CloseWhileTheClientIsStillSending(RepetitionInfo run) throws Exception {
        String big = "{\"type\":\"send\",\"pad\":\"" + "x".repeat(FRAME_LIMIT) + "\"}";
        try (WsClient pre = broker.ws()) {
            sendIgnoringEarlyClose(() -> pre.send(big));
            assertThat(pre.awaitClose(5_000)).isEqualTo(1009);
        }
        if (oversizeMember == null) {
            oversizeMember = broker.addMember(broker.createMesh("oversize-race"), "racer");
        }
        BrokerFixture.Peer peer = broker.session(oversizeMember, "race-" + run.getCurrentRepetition());
        try (WsClient ws = peer.ws()) {
            sendIgnoringEarlyClose(() -> ws.raw()
                    .sendBinary(java.nio.ByteBuffer.wrap(big.getBytes(StandardCharsets.UTF_8)), true).join());
            assertThat(ws.awaitClose(5_000)).isEqualTo(1009);
        }
    }

    /** The broker closes 1009 as soon as a frame header announces too much, so the client's send may fail. */
    private static void sendIgnoringEarlyClose(Runnable send) {
        try {
            send.run();
        } catch (java.util.concurrent.CompletionException e) {
            assertThat(e).hasRootCauseInstanceOf(java.io.IOException.class);
        }
    }

    @Test
    void shouldReassembleFragmentedMessagesWithControlFramesBetween() throws Exception {
        try (Arena a = arena("fragments"); RawWs raw = RawWs.connect(broker.port())) {
            WsClient ws = a.attacker().ws();
            String send = Identities.send("frag", a.target().key(), "now", NONCE, CT);
            ws.raw().sendText(send.substring(0, 30), false).join();
            ws.raw().sendPing(java.nio.ByteBuffer.wrap(new byte[] {1, 2, 3})).join();
            ws.raw().sendText(send.substring(30, 60), false).join();
            ws.raw().sendText(send.substring(60), true).join();
            assertThat(ws.await("\"id\":\"frag\"")).contains("\"queued\":true");
            a.target().ws().await("\"client_message_id\":\"frag\"");

            // raw: a session_hello in one-byte fragments, each followed by a ping
            Ed25519.KeyPair key = Ed25519.generate();
            byte[] hello = Identities.sessionHello(a.attackerMember(), key, "raw-frag", now(), 3_600_000, "frag", null)
                    .getBytes(StandardCharsets.UTF_8);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (int i = 0; i < hello.length; i++) {
                out.writeBytes(RawWs.frame(i == hello.length - 1, i == 0 ? RawWs.TEXT : RawWs.CONT,
                        new byte[] {hello[i]}));
                out.writeBytes(RawWs.frame(true, RawWs.PING, new byte[] {(byte) i}));
            }
            raw.writeRaw(out.toByteArray());
            int pongs = 0;
            String ack = null;
            while (ack == null || pongs < hello.length) {
                RawWs.Frame f = raw.read();
                if (f.opcode() == RawWs.PONG) {
                    assertThat(f.payload()).containsExactly((byte) pongs);
                    pongs++;
                } else if (f.opcode() == RawWs.TEXT) {
                    ack = f.text();
                } else {
                    throw new AssertionError("unexpected frame " + f.opcode());
                }
            }
            assertThat(ack).startsWith("{\"type\":\"hello_ack\"");
        }
    }

    @Test
    void shouldAnswerAHelloAndSendWrittenOneBytePerTcpSegment() throws Exception {
        try (Arena a = arena("bytewise"); RawWs raw = RawWs.connect(broker.port())) {
            Ed25519.KeyPair key = Ed25519.generate();
            byte[] stream = new ByteArrayOutputStream() {
                {
                    writeBytes(RawWs.frame(true, RawWs.TEXT, Identities.sessionHello(a.attackerMember(), key, "bytes",
                            now(), 3_600_000, "bytes", null).getBytes(StandardCharsets.UTF_8)));
                    writeBytes(RawWs.frame(true, RawWs.TEXT, Identities.send("bw", a.target().key(), "now", NONCE, CT)
                            .getBytes(StandardCharsets.UTF_8)));
                }
            }.toByteArray();
            for (byte b : stream) {
                raw.writeRaw(new byte[] {b});
            }
            assertThat(raw.readText()).startsWith("{\"type\":\"hello_ack\"");
            assertThat(raw.readText("\"type\":\"ack\"")).startsWith("{\"type\":\"ack\",\"id\":\"bw\"")
                    .contains("\"queued\":true");
            assertThat(a.target().ws().await("\"client_message_id\":\"bw\"")).contains("\"ciphertext\":\"" + CT + "\"")
                    .contains("\"senderPubkey\":\"" + key.publicKeyHex() + "\"");
        }
    }

    // ------------------------------------------------------------------------------------------ ping flood

    @Test
    void shouldAnswerPingFloodWithBoundedMemoryAndStayUsable() throws Exception {
        int pings = 200_000;
        byte[] payload = new byte[125];
        byte[] one = RawWs.frame(true, RawWs.PING, payload);
        String mesh = broker.createMesh("pingflood");
        Identities.MemberKeys m = broker.addMember(mesh, "flooder");
        long baseline = directMemoryUsed();
        long peak = baseline;
        long activeBaseline = directBytesInUse();
        long activePeak = activeBaseline;
        try (RawWs raw = RawWs.tcp(broker.port(), 4096)) {
            raw.writeRaw(RawWs.upgradeRequest("/ws").getBytes(StandardCharsets.US_ASCII));
            assertThat(raw.readHttpHead()).startsWith("HTTP/1.1 101");
            // authenticated, so that the hello deadline does not end the flood early
            raw.sendText(Identities.hello(m, null, "flood", now(), "flooder"));
            assertThat(raw.readText()).startsWith("{\"type\":\"hello_ack\"");
            // 25 MB of pongs owed to a peer that reads nothing: without a bound they would all queue in the broker
            byte[] batch = new byte[one.length * 1000];
            for (int i = 0; i < 1000; i++) {
                System.arraycopy(one, 0, batch, i * one.length, one.length);
            }
            for (int sent = 0; sent < pings; sent += 1000) {
                raw.writeRaw(batch);
                if (sent % 20_000 == 0) {
                    peak = Math.max(peak, directMemoryUsed());
                    activePeak = Math.max(activePeak, directBytesInUse());
                }
            }
            raw.sendText("{\"type\":\"list_peers\",\"_reqId\":\"after-flood\"}");
            Thread.sleep(500);
            peak = Math.max(peak, directMemoryUsed());
            activePeak = Math.max(activePeak, directBytesInUse());
            // now read: pongs (as many as fitted), then the answer to the probe; the socket is alive
            raw.timeoutMs(10_000);
            int pongs = 0;
            String text;
            while (true) {
                RawWs.Frame f = raw.read();
                if (f.opcode() == RawWs.PONG) {
                    assertThat(f.payload()).hasSize(125);
                    pongs++;
                } else if (f.opcode() == RawWs.TEXT) {
                    text = f.text();
                    break;
                } else if (f.opcode() != RawWs.PING) { // the broker's own liveness ping may come too
                    throw new AssertionError("unexpected opcode " + f.opcode());
                }
            }
            assertThat(text).startsWith("{\"type\":\"peers_list\",\"_reqId\":\"after-flood\"");
            assertThat(pongs).isPositive().isLessThanOrEqualTo(pings);
            System.out.println("ping flood: " + pings + " pings, " + pongs + " pongs, direct memory growth "
                    + (peak - baseline) + " bytes in whole chunks, " + (activePeak - activeBaseline) + " bytes in use");
            raw.send(true, RawWs.PING, "still".getBytes(StandardCharsets.UTF_8));
            RawWs.Frame last = raw.read();
            while (last.opcode() == RawWs.PING) {
                last = raw.read();
            }
            assertThat(last.opcode()).isEqualTo(RawWs.PONG);
            assertThat(last.text()).isEqualTo("still");
        }
        // Unbounded, the owed pongs alone would hold ~25 MB; bounded, the backlog is ~4.7 MB of pongs at most. The pool
        // grows by whole 4 MiB chunks (one or two of them were seen, depending on what the shared pool held already),
        // so the bound is on the bytes in use in the pool's chunks (page-granular), not on the chunks.
        assertThat(activePeak - activeBaseline).as("direct bytes in use, growth during the flood").isLessThan(8L << 20);
        assertThat(peak - baseline).as("direct memory growth during the flood (whole chunks)").isLessThan(16L << 20);
    }

    private static long directMemoryUsed() {
        return PooledByteBufAllocator.DEFAULT.metric().usedDirectMemory();
    }

    /**
     * Bytes of the shared pool's direct chunks in use (a chunk's size less its free bytes: allocated pages and subpages,
     * thread caches included) over all arenas. Not {@code PoolArenaMetric.numActiveBytes()}: that counts whole chunks.
     */
    private static long directBytesInUse() {
        long sum = 0;
        for (io.netty.buffer.PoolArenaMetric a : PooledByteBufAllocator.DEFAULT.metric().directArenas()) {
            for (io.netty.buffer.PoolChunkListMetric list : a.chunkLists()) {
                for (io.netty.buffer.PoolChunkMetric c : list) {
                    sum += c.chunkSize() - c.freeBytes();
                }
            }
        }
        return sum;
    }

    // ------------------------------------------------------------------------------------------ silent sockets

    /**
     * Sockets that upgrade and never say hello are closed 1008 {@code hello_timeout} and leave nothing behind: the
     * connection gauge returns to its baseline. 10 000 sockets, opened in batches of 1 000 (each batch holds 2 000
     * file descriptors in this one JVM, client and server side).
     */
    @Test
    void shouldCloseTenThousandSilentSocketsWithHelloTimeoutAndReturnToBaseline() throws Exception {
        int total = 10_000;
        int batchSize = 1_000;
        long baseline = broker.server().broker().metrics().connectionsActive.get();
        byte[] upgrade = RawWs.upgradeRequest("/ws").getBytes(StandardCharsets.US_ASCII);
        for (int done = 0; done < total; done += batchSize) {
            List<RawWs> batch = new ArrayList<>(batchSize);
            try {
                for (int i = 0; i < batchSize; i++) {
                    RawWs s = RawWs.tcp(broker.port(), 0);
                    batch.add(s);
                    s.writeRaw(upgrade);
                }
                for (RawWs s : batch) {
                    s.timeoutMs(HELLO_TIMEOUT_MS + 15_000);
                    assertThat(s.readHttpHead()).startsWith("HTTP/1.1 101");
                    RawWs.Frame close = s.readClose();
                    assertThat(close.closeCode()).isEqualTo(1008);
                    assertThat(close.closeReason()).isEqualTo("hello_timeout");
                    assertThat(s.eofWithin(5_000)).isTrue();
                }
            } finally {
                batch.forEach(RawWs::close);
            }
        }
        assertThat(DeliveryLedger.await(10_000,
                () -> broker.server().broker().metrics().connectionsActive.get() == baseline))
                .as("connection gauge back to %d", baseline).isTrue();
        var metrics = broker.request("GET", "/metrics", null, null);
        assertThat(metrics.body()).containsPattern("(?m)^broker_connections_active " + baseline + "(\\.0)?$");
    }
}
