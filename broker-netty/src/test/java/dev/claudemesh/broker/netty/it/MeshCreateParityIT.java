package dev.claudemesh.broker.netty.it;

import dev.claudemesh.broker.core.crypto.Ed25519;
import dev.claudemesh.broker.db.store.MeshKeys;
import dev.claudemesh.broker.netty.config.BuildInfo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import javax.sql.DataSource;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The jar's {@code mesh create} and {@code POST /admin/meshes} make the same mesh (issue 10): both through
 * {@code MembershipAdmin}, each mesh with its owner key pair (secret encrypted under the same
 * {@code BROKER_ENCRYPTION_KEY}) and root key from the start, and both answer the same JSON shape. The jar runs as
 * its own process against the database of a running broker, as an operator would run it with {@code DATABASE_URL}.
 */
class MeshCreateParityIT {

    private static final String ENCRYPTION_KEY = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

    private static BrokerFixture broker;

    @BeforeAll
    static void start() throws Exception {
        broker = new BrokerFixture(Map.of("BROKER_ENCRYPTION_KEY", ENCRYPTION_KEY));
    }

    @AfterAll
    static void stop() {
        broker.stop();
    }

    /** The JSON object's fields in order, values as text (flat objects of strings only). */
    private static Map<String, String> fields(String json) {
        Map<String, String> out = new LinkedHashMap<>();
        Matcher m = Pattern.compile("\"([^\"]+)\":\"([^\"]*)\"").matcher(json);
        while (m.find()) {
            out.put(m.group(1), m.group(2));
        }
        return out;
    }

    /** mesh and mesh_key columns of {@code meshId} that must agree between the two ways (ids and keys differ). */
    private static Map<String, Object> shape(DataSource ds, String meshId) throws Exception {
        try (Connection c = ds.getConnection(); PreparedStatement st = c.prepareStatement(
                "select m.name, k.secret_format, k.owner_pubkey ~ '^[0-9a-f]{64}$', k.root_key ~ '^[A-Za-z0-9_-]{43}$', "
                        + "k.secret_iv is not null, k.owner_secret is not null "
                        + "from mesh.mesh m left join mesh.mesh_key k on k.mesh_id = m.id where m.id = ?")) {
            st.setString(1, meshId);
            try (ResultSet r = st.executeQuery()) {
                assertThat(r.next()).as("mesh " + meshId).isTrue();
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("name", r.getString(1));
                out.put("secret_format", r.getString(2));
                out.put("owner_pubkey is 64 hex", r.getBoolean(3));
                out.put("root_key is 32 bytes base64url", r.getBoolean(4));
                out.put("secret_iv set", r.getBoolean(5));
                out.put("owner_secret set", r.getBoolean(6));
                return out;
            }
        }
    }

    @Test
    void shouldCreateTheSameMeshFromTheJarAsFromTheAdminApi() throws Exception {
        HttpResponse<String> http = broker.admin("POST", "/admin/meshes", "{\"name\":\"Team\",\"slug\":\"via-http\"}");
        assertThat(http.statusCode()).isEqualTo(201);
        Map<String, String> fromHttp = fields(http.body());

        String stdout;
        try (BrokerProcess jar = BrokerProcess.start(Map.of("DATABASE_URL", broker.databaseUrl(),
                "BROKER_ENCRYPTION_KEY", ENCRYPTION_KEY), List.of("mesh", "create", "--name", "Team", "--slug",
                "via-jar"))) {
            assertThat(jar.awaitExit(60_000)).as(jar.stderrText()).isZero();
            stdout = jar.stdoutText().strip();
        }
        Map<String, String> fromJar = fields(stdout);

        // the same answer shape: {"id","name","slug"}
        assertThat(fromJar.keySet()).containsExactlyElementsOf(fromHttp.keySet()).containsExactly("id", "name", "slug");
        assertThat(fromJar.get("name")).isEqualTo(fromHttp.get("name"));
        assertThat(fromJar.get("slug")).isEqualTo("via-jar");

        // the same rows: each mesh has its owner keys now, encrypted the same way (no broker restart needed)
        DataSource ds = broker.server().database().dataSource();
        String httpMesh = fromHttp.get("id");
        String jarMesh = fromJar.get("id");
        Map<String, Object> httpShape = shape(ds, httpMesh);
        assertThat(shape(ds, jarMesh)).isEqualTo(httpShape);
        assertThat(httpShape).containsEntry("secret_format", "aes-256-gcm").containsEntry("owner_pubkey is 64 hex", true)
                .containsEntry("root_key is 32 bytes base64url", true);

        // and working keys: the stored secret decrypts under the key and is the owner key's seed
        MeshKeys keys = new MeshKeys(ds, ENCRYPTION_KEY);
        for (String meshId : List.of(httpMesh, jarMesh)) {
            String owner = keys.ownerPubkey(meshId).orElseThrow();
            MeshKeys.Keys k = keys.ensure(meshId);
            assertThat(Ed25519.fromSeed(k.ownerSeed()).publicKeyHex()).isEqualTo(owner);
        }
        assertThat(keys.ownerPubkey(jarMesh)).isNotEqualTo(keys.ownerPubkey(httpMesh));

        // both are meshes the broker can invite to at once
        for (String meshId : List.of(httpMesh, jarMesh)) {
            assertThat(broker.admin("POST", "/admin/meshes/" + meshId + "/invites", "{}").statusCode()).isEqualTo(201);
        }
    }

    @Test
    void shouldReportTheBuildsCommitOnHealthUnlessGitShaIsSet() throws Exception {
        HttpResponse<String> health = broker.request("GET", "/health", null, null);
        assertThat(health.body()).contains("\"gitSha\":\"" + BuildInfo.gitSha() + "\"");
        BrokerFixture overridden = new BrokerFixture(Map.of("GIT_SHA", "0123456789abcdef"));
        try {
            assertThat(overridden.request("GET", "/health", null, null).body())
                    .contains("\"gitSha\":\"0123456789abcdef\"");
        } finally {
            overridden.stop();
        }
    }
}
