package dev.claudemesh.broker.netty.it;

import dev.claudemesh.broker.core.crypto.Ed25519;
import dev.claudemesh.broker.core.testing.Identities;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import static dev.claudemesh.broker.netty.it.BrokerFixture.jsonField;

/**
 * The admin HTTP API of a broker that is not a {@link BrokerFixture} (another process, or a TLS listener):
 * {@code baseUrl} is {@code http://127.0.0.1:<port>} or {@code https://…}, {@code client} carries the TLS trust.
 */
final class AdminHttp {

    private final String baseUrl;
    private final HttpClient client;
    private final String adminToken;

    AdminHttp(String baseUrl, HttpClient client, String adminToken) {
        this.baseUrl = baseUrl;
        this.client = client;
        this.adminToken = adminToken;
    }

    HttpResponse<String> request(String method, String path, String body, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl + path))
                .timeout(Duration.ofSeconds(10))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    String createMesh(String slug) throws Exception {
        HttpResponse<String> r = request("POST", "/admin/meshes",
                "{\"name\":\"" + slug + "\",\"slug\":\"" + slug + "\"}", adminToken);
        if (r.statusCode() != 201) {
            throw new AssertionError("create mesh: " + r.statusCode() + " " + r.body());
        }
        return jsonField(r.body(), "id");
    }

    Identities.MemberKeys addMember(String meshId, String name) throws Exception {
        Ed25519.KeyPair kp = Ed25519.generate();
        HttpResponse<String> r = request("POST", "/admin/meshes/" + meshId + "/members",
                "{\"pubkey\":\"" + kp.publicKeyHex() + "\",\"displayName\":\"" + name + "\"}", adminToken);
        if (r.statusCode() != 201) {
            throw new AssertionError("add member: " + r.statusCode() + " " + r.body());
        }
        return new Identities.MemberKeys(meshId, jsonField(r.body(), "id"), kp);
    }
}
