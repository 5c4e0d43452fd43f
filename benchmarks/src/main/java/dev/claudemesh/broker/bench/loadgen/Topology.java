package dev.claudemesh.broker.bench.loadgen;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.claudemesh.broker.core.crypto.Ed25519;
import dev.claudemesh.broker.core.crypto.Hex;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The meshes and members the generator connects as: provisioned through the broker's admin API, or read from a
 * fixture file ({@code {"meshId","members":[{"id","pubkey","secretKey"}]}}, or {@code {"meshes":[…]}} of those).
 * Immutable once built; the member seeds never leave this process.
 */
final class Topology {

    /** A member the generator holds the secret key of. */
    record Member(String meshId, String id, String pubkey, byte[] seed) {
    }

    /** One mesh and its members. */
    record MeshMembers(String meshId, List<Member> members) {
    }

    final List<MeshMembers> meshes;
    /** True when session keys must be derived from the member keys (a fixture reused across runs reattaches). */
    final boolean deterministicSessions;

    Topology(List<MeshMembers> meshes, boolean deterministicSessions) {
        if (meshes.isEmpty()) {
            throw new IllegalArgumentException("no mesh");
        }
        for (MeshMembers m : meshes) {
            if (m.members().isEmpty()) {
                throw new IllegalArgumentException("mesh " + m.meshId() + " has no member");
            }
        }
        this.meshes = List.copyOf(meshes);
        this.deterministicSessions = deterministicSessions;
    }

    /** The mesh of peer {@code i} of {@code peers}: contiguous blocks, as even as possible. */
    static int meshOf(int i, int peers, int meshCount) {
        return (int) ((long) i * meshCount / peers);
    }

    /**
     * The session key pair of peer {@code i}: fresh, or (fixture) derived from its member's seed so that a rerun
     * with the same fixture reattaches to the leases of the previous run instead of filling the mesh.
     */
    Ed25519.KeyPair sessionKeys(Member parent, int i) {
        if (!deterministicSessions) {
            return Ed25519.generate();
        }
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update(parent.seed());
            d.update(("claudemesh-loadgen-session|" + i).getBytes(StandardCharsets.UTF_8));
            return Ed25519.fromSeed(d.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    // ------------------------------------------------------------------------------------------ admin API

    private static final Pattern ID = Pattern.compile("\"id\"\\s*:\\s*\"([^\"]+)\"");

    /**
     * Creates {@code meshCount} meshes and one member per peer (at most {@code membersPerMesh} per mesh when it is
     * not 0) through the admin API ({@code POST /admin/meshes},
     * {@code POST /admin/meshes/{id}/members}), at most 8 requests at a time. Blocking.
     */
    static Topology provision(URI adminUrl, String token, int peers, int meshCount, int membersPerMesh, String runId)
            throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        List<String> meshIds = new ArrayList<>();
        for (int m = 0; m < meshCount; m++) {
            String slug = ("loadgen-" + runId + "-" + m).toLowerCase(Locale.ROOT);
            String body = "{\"name\":\"" + slug + "\",\"slug\":\"" + slug + "\"}";
            HttpResponse<String> r = http.send(post(adminUrl.resolve("/admin/meshes"), token, body),
                    HttpResponse.BodyHandlers.ofString());
            meshIds.add(idOf(r, "create mesh"));
        }
        // Member j of mesh m serves that mesh's peers j, j+K, j+2K, …: members are provisioned for the first K peers
        // of every mesh.
        int[] seen = new int[meshCount];
        List<Integer> owners = new ArrayList<>();
        for (int i = 0; i < peers; i++) {
            int m = meshOf(i, peers, meshCount);
            if (membersPerMesh == 0 || seen[m]++ < membersPerMesh) {
                owners.add(i);
            }
        }
        Ed25519.KeyPair[] keys = new Ed25519.KeyPair[owners.size()];
        Arrays.parallelSetAll(keys, i -> Ed25519.generate());
        Semaphore inFlight = new Semaphore(8);
        List<CompletableFuture<Member>> futures = new ArrayList<>(owners.size());
        for (int k = 0; k < owners.size(); k++) {
            int i = owners.get(k);
            String meshId = meshIds.get(meshOf(i, peers, meshCount));
            Ed25519.KeyPair kp = keys[k];
            String body = "{\"pubkey\":\"" + kp.publicKeyHex() + "\",\"displayName\":\"lg-" + i + "\"}";
            inFlight.acquire();
            futures.add(http.sendAsync(post(adminUrl.resolve("/admin/meshes/" + meshId + "/members"), token, body),
                            HttpResponse.BodyHandlers.ofString())
                    .whenComplete((r, e) -> inFlight.release())
                    .thenApply(r -> new Member(meshId, idOf(r, "add member"), kp.publicKeyHex(), kp.seed())));
        }
        List<MeshMembers> out = new ArrayList<>();
        for (String meshId : meshIds) {
            out.add(new MeshMembers(meshId, new ArrayList<>()));
        }
        for (int k = 0; k < owners.size(); k++) {
            Member m = futures.get(k).join();
            out.get(meshOf(owners.get(k), peers, meshCount)).members().add(m);
        }
        return new Topology(out, false);
    }

    private static HttpRequest post(URI uri, String token, String body) {
        return HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    private static String idOf(HttpResponse<String> r, String what) {
        if (r.statusCode() != 201) {
            throw new IllegalStateException(what + ": HTTP " + r.statusCode() + " " + r.body());
        }
        Matcher m = ID.matcher(r.body());
        if (!m.find()) {
            throw new IllegalStateException(what + ": no id in " + r.body());
        }
        return m.group(1);
    }

    // ------------------------------------------------------------------------------------------ fixture file

    private static final JsonFactory JSON = new JsonFactory();

    /** Reads a fixture; the members' {@code secretKey} is libsodium's 64 bytes (seed then public key) in hex. */
    static Topology readFixture(Path file) throws IOException {
        List<MeshMembers> meshes = new ArrayList<>();
        try (JsonParser p = JSON.createParser(Files.readAllBytes(file))) {
            expect(p.nextToken(), JsonToken.START_OBJECT, file);
            String meshId = null;
            List<Member> members = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String f = p.currentName();
                JsonToken v = p.nextToken();
                switch (f) {
                    case "meshId" -> meshId = p.getText();
                    case "members" -> members = readMembers(p, v, file);
                    case "meshes" -> {
                        expect(v, JsonToken.START_ARRAY, file);
                        while (p.nextToken() == JsonToken.START_OBJECT) {
                            String id = null;
                            List<Member> ms = null;
                            while (p.nextToken() == JsonToken.FIELD_NAME) {
                                String g = p.currentName();
                                JsonToken gv = p.nextToken();
                                if ("meshId".equals(g)) {
                                    id = p.getText();
                                } else if ("members".equals(g)) {
                                    ms = readMembers(p, gv, file);
                                } else {
                                    p.skipChildren();
                                }
                            }
                            meshes.add(mesh(id, ms, file));
                        }
                    }
                    default -> p.skipChildren();
                }
            }
            if (meshId != null || members != null) {
                meshes.add(mesh(meshId, members, file));
            }
        }
        return new Topology(meshes, true);
    }

    private static MeshMembers mesh(String meshId, List<Member> members, Path file) {
        if (meshId == null || members == null) {
            throw new IllegalArgumentException(file + ": a mesh needs meshId and members");
        }
        List<Member> withMesh = new ArrayList<>(members.size());
        for (Member m : members) {
            withMesh.add(new Member(meshId, m.id(), m.pubkey(), m.seed()));
        }
        return new MeshMembers(meshId, withMesh);
    }

    private static List<Member> readMembers(JsonParser p, JsonToken v, Path file) throws IOException {
        expect(v, JsonToken.START_ARRAY, file);
        List<Member> out = new ArrayList<>();
        while (p.nextToken() == JsonToken.START_OBJECT) {
            String id = null;
            String pubkey = null;
            String secret = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String f = p.currentName();
                p.nextToken();
                switch (f) {
                    case "id" -> id = p.getText();
                    case "pubkey" -> pubkey = p.getText().toLowerCase(Locale.ROOT);
                    case "secretKey" -> secret = p.getText().toLowerCase(Locale.ROOT);
                    default -> p.skipChildren();
                }
            }
            if (id == null || pubkey == null || secret == null || !Hex.isHex(pubkey, 64) || !Hex.isHex(secret, 128)) {
                throw new IllegalArgumentException(file + ": member " + id
                        + " needs id, pubkey (64 hex) and secretKey (128 hex: seed then public key)");
            }
            byte[] seed = Hex.decode(secret.substring(0, 64));
            if (!Ed25519.fromSeed(seed).publicKeyHex().equals(pubkey)) {
                throw new IllegalArgumentException(file + ": member " + id + ": secretKey does not match pubkey");
            }
            out.add(new Member(null, id, pubkey, seed));
        }
        return out;
    }

    private static void expect(JsonToken got, JsonToken want, Path file) {
        if (got != want) {
            throw new IllegalArgumentException(file + ": expected " + want + ", got " + got);
        }
    }

    /** Writes this topology as a fixture ({@code {"meshes":[{"meshId","members":[…]}]}}, or one mesh flat). */
    void writeFixture(Path file) throws IOException {
        try (OutputStream os = Files.newOutputStream(file);
             JsonGenerator g = JSON.createGenerator(os, JsonEncoding.UTF8).useDefaultPrettyPrinter()) {
            g.writeStartObject();
            if (meshes.size() == 1) {
                writeMesh(g, meshes.get(0));
            } else {
                g.writeArrayFieldStart("meshes");
                for (MeshMembers m : meshes) {
                    g.writeStartObject();
                    writeMesh(g, m);
                    g.writeEndObject();
                }
                g.writeEndArray();
            }
            g.writeEndObject();
        }
    }

    private static void writeMesh(JsonGenerator g, MeshMembers m) throws IOException {
        g.writeStringField("meshId", m.meshId());
        g.writeArrayFieldStart("members");
        for (Member mb : m.members()) {
            g.writeStartObject();
            g.writeStringField("id", mb.id());
            g.writeStringField("pubkey", mb.pubkey());
            g.writeStringField("secretKey", Hex.encode(mb.seed()) + mb.pubkey());
            g.writeEndObject();
        }
        g.writeEndArray();
    }
}
