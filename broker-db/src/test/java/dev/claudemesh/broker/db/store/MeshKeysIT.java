package dev.claudemesh.broker.db.store;

import dev.claudemesh.broker.core.Ids;
import dev.claudemesh.broker.core.crypto.Ed25519;
import dev.claudemesh.broker.core.model.Mesh;
import dev.claudemesh.broker.db.testing.TestDatabase;
import dev.claudemesh.broker.db.testing.TestDatabases;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MeshKeysIT {

    private static final String KEY = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    private static final String OTHER_KEY = "ff112233445566778899aabbccddeeff00112233445566778899aabbccddee00";

    private static TestDatabase db;
    private static AdminRepository admin;

    @BeforeAll
    static void createDatabase() {
        db = TestDatabases.newDatabase();
        admin = new AdminRepository(db.dataSource());
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
    }

    private static Mesh newMesh() {
        return admin.createMesh("keys", "keys-" + Ids.newId().toLowerCase());
    }

    private static String[] row(String meshId) throws Exception {
        try (Connection c = db.dataSource().getConnection(); PreparedStatement st = c.prepareStatement(
                "select owner_pubkey, owner_secret, secret_format, secret_iv, root_key from mesh.mesh_key "
                        + "where mesh_id = ?")) {
            st.setString(1, meshId);
            try (ResultSet r = st.executeQuery()) {
                return r.next() ? new String[] {r.getString(1), r.getString(2), r.getString(3), r.getString(4),
                        r.getString(5)} : null;
            }
        }
    }

    @Test
    void shouldCreateOneKeyPairPerMeshEvenWhenCalledConcurrently() throws Exception {
        Mesh mesh = newMesh();
        MeshKeys keys = new MeshKeys(db.dataSource(), null);
        assertThat(keys.ownerPubkey(mesh.id())).isEmpty();

        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<MeshKeys.Keys>> futures = new ArrayList<>();
        try {
            for (int i = 0; i < 8; i++) {
                futures.add(pool.submit(() -> keys.ensure(mesh.id())));
            }
            Set<String> pubkeys = new HashSet<>();
            Set<String> roots = new HashSet<>();
            for (Future<MeshKeys.Keys> f : futures) {
                MeshKeys.Keys k = f.get();
                pubkeys.add(k.ownerPubkey());
                roots.add(k.rootKey());
                // the seed really is the owner key's secret
                assertThat(Ed25519.fromSeed(k.ownerSeed()).publicKeyHex()).isEqualTo(k.ownerPubkey());
            }
            assertThat(pubkeys).hasSize(1);
            assertThat(roots).hasSize(1);
            assertThat(keys.ownerPubkey(mesh.id())).contains(pubkeys.iterator().next());
            String root = roots.iterator().next();
            assertThat(root).matches("[A-Za-z0-9_-]{43}");
            assertThat(Base64.getUrlDecoder().decode(root)).hasSize(32);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void shouldStoreThePlaintextSeedMarkedPlainWithoutAnEncryptionKey() throws Exception {
        Mesh mesh = newMesh();
        MeshKeys.Keys k = new MeshKeys(db.dataSource(), null).ensure(mesh.id());

        String[] r = row(mesh.id());
        assertThat(r[2]).isEqualTo("plain");
        assertThat(r[3]).isNull();
        assertThat(Base64.getUrlDecoder().decode(r[1])).isEqualTo(k.ownerSeed());
    }

    @Test
    void shouldEncryptTheSeedWithAesGcmUnderTheEncryptionKey() throws Exception {
        Mesh mesh = newMesh();
        MeshKeys keys = new MeshKeys(db.dataSource(), KEY);
        MeshKeys.Keys k = keys.ensure(mesh.id());

        String[] r = row(mesh.id());
        assertThat(r[2]).isEqualTo("aes-256-gcm");
        assertThat(Base64.getUrlDecoder().decode(r[3])).hasSize(12);
        byte[] stored = Base64.getUrlDecoder().decode(r[1]);
        assertThat(stored).hasSize(32 + 16).isNotEqualTo(k.ownerSeed());
        assertThat(keys.ensure(mesh.id()).ownerSeed()).isEqualTo(k.ownerSeed());
        assertThat(k.toString()).doesNotContain(Base64.getUrlEncoder().withoutPadding().encodeToString(k.ownerSeed()));

        assertThatThrownBy(() -> new MeshKeys(db.dataSource(), null).ensure(mesh.id()))
                .isInstanceOf(MeshKeys.KeyUnavailableException.class)
                .hasMessageContaining("BROKER_ENCRYPTION_KEY");
        assertThatThrownBy(() -> new MeshKeys(db.dataSource(), OTHER_KEY).ensure(mesh.id()))
                .isInstanceOf(MeshKeys.KeyUnavailableException.class)
                .hasMessageContaining("another key");
    }

    @Test
    void shouldReEncryptAPlaintextSeedOnceAnEncryptionKeyIsConfigured() throws Exception {
        Mesh mesh = newMesh();
        byte[] seed = new MeshKeys(db.dataSource(), null).ensure(mesh.id()).ownerSeed();

        MeshKeys encrypting = new MeshKeys(db.dataSource(), KEY);
        assertThat(encrypting.ensure(mesh.id()).ownerSeed()).isEqualTo(seed);

        assertThat(row(mesh.id())[2]).isEqualTo("aes-256-gcm");
        assertThat(encrypting.secretFormat(mesh.id())).contains("aes-256-gcm");
        assertThat(encrypting.ensure(mesh.id()).ownerSeed()).isEqualTo(seed);
    }

    @Test
    void shouldRefuseAnUnknownMeshAndABadKey() {
        assertThatThrownBy(() -> new MeshKeys(db.dataSource(), null).ensure(Ids.newId()))
                .isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> new MeshKeys(db.dataSource(), "abc"))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
