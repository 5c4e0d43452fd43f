package dev.claudemesh.broker.netty.it;

import dev.claudemesh.broker.core.Clock;
import dev.claudemesh.broker.core.crypto.Ed25519;
import dev.claudemesh.broker.core.testing.Identities;
import dev.claudemesh.broker.netty.BrokerConfig;
import dev.claudemesh.broker.netty.BrokerServer;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Starts a real broker on port 0 against a real PostgreSQL database (one fresh database per fixture), and
 * provisions meshes and members through the real admin HTTP API.
 */
public final class BrokerFixture implements AutoCloseable {

    public static final String ADMIN_TOKEN = "test-admin-token";

    private final String databaseUrl;
    private final Map<String, String> env = new HashMap<>();
    private final Clock clock;
    private BrokerServer server;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public BrokerFixture(Map<String, String> overrides) throws Exception {
        this(overrides, Clock.SYSTEM);
    }

    /** A broker whose domain reads {@code clock} (hook window, status TTL, timestamps); Netty timers stay real. */
    public BrokerFixture(Map<String, String> overrides, Clock clock) throws Exception {
        this.clock = clock;
        this.databaseUrl = TestDb.newDatabaseUrl();
        env.put("BROKER_PORT", "0");
        env.put("BROKER_BIND", "127.0.0.1");
        env.put("DATABASE_URL", databaseUrl);
        env.put("BROKER_ADMIN_TOKEN", ADMIN_TOKEN);
        env.put("BROKER_EVENT_LOOP_THREADS", "2");
        env.putAll(overrides);
        start();
    }

    public BrokerFixture() throws Exception {
        this(Map.of());
    }

    /** (Re)starts the broker on the same database. */
    public void start() throws Exception {
        server = BrokerServer.start(BrokerConfig.load(env, List.of()), clock);
    }

    /** Graceful stop. */
    public void stop() {
        if (server != null) {
            server.close();
            server = null;
        }
    }

    public BrokerServer server() {
        return server;
    }

    public int port() {
        return server.port();
    }

    public String databaseUrl() {
        return databaseUrl;
    }

    public WsClient ws() {
        return WsClient.connect(port());
    }

    public HttpResponse<String> request(String method, String path, String body, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port() + path))
                .timeout(Duration.ofSeconds(10))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    public HttpResponse<String> admin(String method, String path, String body) throws Exception {
        return request(method, path, body, ADMIN_TOKEN);
    }

    public static String jsonField(String json, String name) {
        Matcher m = Pattern.compile("\"" + Pattern.quote(name) + "\":\"([^\"]*)\"").matcher(json);
        return m.find() ? m.group(1) : null;
    }

    /** Creates a mesh through the admin API; returns its id. */
    public String createMesh(String slug) throws Exception {
        HttpResponse<String> r = admin("POST", "/admin/meshes", "{\"name\":\"" + slug + "\",\"slug\":\"" + slug + "\"}");
        if (r.statusCode() != 201) {
            throw new AssertionError("create mesh: " + r.statusCode() + " " + r.body());
        }
        return jsonField(r.body(), "id");
    }

    /** Adds a member with a fresh key through the admin API. */
    public Identities.MemberKeys addMember(String meshId, String name) throws Exception {
        return addMember(meshId, name, null);
    }

    public Identities.MemberKeys addMember(String meshId, String name, String extraJson) throws Exception {
        Ed25519.KeyPair kp = Ed25519.generate();
        String body = "{\"pubkey\":\"" + kp.publicKeyHex() + "\",\"displayName\":\"" + name + "\""
                + (extraJson == null ? "" : "," + extraJson) + "}";
        HttpResponse<String> r = admin("POST", "/admin/meshes/" + meshId + "/members", body);
        if (r.statusCode() != 201) {
            throw new AssertionError("add member: " + r.statusCode() + " " + r.body());
        }
        return new Identities.MemberKeys(meshId, jsonField(r.body(), "id"), kp);
    }

    /** A connected, authenticated session peer. */
    public record Peer(WsClient ws, Ed25519.KeyPair sessionKeys, String presenceId, String helloAck) {
        public String key() {
            return sessionKeys.publicKeyHex();
        }
    }

    public Peer session(Identities.MemberKeys m, String sessionId) {
        return session(m, Ed25519.generate(), sessionId, null);
    }

    public Peer session(Identities.MemberKeys m, Ed25519.KeyPair keys, String sessionId, String groupsJson) {
        WsClient ws = ws();
        ws.send(Identities.sessionHello(m, keys, sessionId, System.currentTimeMillis(), 3_600_000, "n-" + sessionId,
                groupsJson));
        String ack = ws.await(s -> s.contains("\"type\":\"hello_ack\"") || s.contains("\"type\":\"error\""), 5_000);
        if (!ack.contains("hello_ack")) {
            throw new AssertionError("session_hello failed: " + ack);
        }
        return new Peer(ws, keys, jsonField(ack, "presenceId"), ack);
    }

    @Override
    public void close() {
        stop();
    }
}
