package dev.claudemesh.broker.db.topic;

import dev.claudemesh.broker.core.Ids;
import dev.claudemesh.broker.core.apikey.ApiKeySecrets;
import dev.claudemesh.broker.core.apikey.ApiKeyStore;
import dev.claudemesh.broker.core.apikey.ApiKeyStore.CreateStatus;
import dev.claudemesh.broker.core.crypto.Ed25519;
import dev.claudemesh.broker.core.model.Member;
import dev.claudemesh.broker.db.store.AdminRepository;
import dev.claudemesh.broker.db.testing.TestDatabase;
import dev.claudemesh.broker.db.testing.TestDatabases;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link PgApiKeyStore} against a real PostgreSQL: the capability rules and visibility of PROTOCOL-MESH §8.9 [fix]
 * (§16 defect 1), the quota, expiry, revocation and hash-only verification.
 */
class PgApiKeyStoreIT {

    private static final long T0 = 1_800_000_000_000L;
    private static final long HOUR = 3_600_000L;
    private static TestDatabase db;
    private static AdminRepository admin;
    private static PgApiKeyStore store;

    private String mesh;
    private Member owner;
    private Member bob;

    @BeforeAll
    static void createDatabase() {
        db = TestDatabases.newDatabase();
        admin = new AdminRepository(db.dataSource());
        store = new PgApiKeyStore(db.dataSource());
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
    }

    @BeforeEach
    void newMesh() throws Exception {
        mesh = admin.createMesh("m", "m-" + Ids.newId()).id();
        owner = admin.addMember(mesh, Ed25519.generate().publicKeyHex(), "owner", null, List.of(), Map.of());
        bob = admin.addMember(mesh, Ed25519.generate().publicKeyHex(), "bob", null, List.of(), Map.of());
        exec("update mesh.member set role = 'admin' where id = '" + owner.id() + "'");
    }

    private record Minted(String id, ApiKeySecrets.Secret secret, CreateStatus status) {
    }

    private Minted mint(Member m, List<String> caps, long expiresAt, int max) {
        ApiKeySecrets.Secret s = ApiKeySecrets.generate();
        String id = Ids.newId();
        CreateStatus st = store.create(new ApiKeyStore.NewKey(id, mesh, "cli-test", s.hash(), s.prefix(), caps,
                null, m.id(), expiresAt, T0), max, 24 * HOUR);
        return new Minted(id, s, st);
    }

    @Test
    void shouldLetMembersMintReadAndSendKeysButNotAdminOrStateWrite() {
        assertThat(mint(bob, List.of("read", "send"), T0 + HOUR, 10).status()).isEqualTo(CreateStatus.CREATED);
        assertThat(mint(bob, List.of("read", "admin"), T0 + HOUR, 10).status()).isEqualTo(CreateStatus.FORBIDDEN);
        assertThat(mint(bob, List.of("state_write"), T0 + HOUR, 10).status()).isEqualTo(CreateStatus.FORBIDDEN);
        assertThat(mint(owner, List.of("admin"), T0 + HOUR, 10).status()).isEqualTo(CreateStatus.CREATED);
        assertThat(mint(owner, List.of("state_write"), T0 + HOUR, 10).status()).isEqualTo(CreateStatus.CREATED);
    }

    @Test
    void shouldCountOnlyLiveKeysAgainstTheQuota() {
        Minted first = mint(bob, List.of("read"), T0 + HOUR, 2);
        mint(bob, List.of("read"), T0 - 1, 2); // already expired: does not count
        assertThat(mint(bob, List.of("read"), T0 + HOUR, 2).status()).isEqualTo(CreateStatus.CREATED);
        assertThat(mint(bob, List.of("read"), T0 + HOUR, 2).status()).isEqualTo(CreateStatus.LIMIT_EXCEEDED);
        store.revoke(mesh, bob.id(), first.id(), T0);
        assertThat(mint(bob, List.of("read"), T0 + HOUR, 2).status()).isEqualTo(CreateStatus.CREATED);
    }

    @Test
    void shouldShowAndRevokeOwnKeysToMembersAndEveryKeyToAdmins() {
        Minted bobs = mint(bob, List.of("read"), T0 + HOUR, 10);
        Minted owners = mint(owner, List.of("read"), T0 + HOUR, 10);

        assertThat(store.list(mesh, bob.id())).extracting(ApiKeyStore.Key::id).containsExactly(bobs.id());
        assertThat(store.list(mesh, owner.id())).extracting(ApiKeyStore.Key::id)
                .containsExactlyInAnyOrder(bobs.id(), owners.id());
        assertThat(store.revoke(mesh, bob.id(), owners.id(), T0).status()).isEqualTo("not_found");
        ApiKeyStore.Revoked r = store.revoke(mesh, owner.id(), bobs.id().substring(0, 10), T0);
        assertThat(r.status()).isEqualTo("revoked");
        assertThat(r.id()).isEqualTo(bobs.id());
        assertThat(r.changed()).isTrue();
        assertThat(store.revoke(mesh, bob.id(), bobs.id(), T0 + 1).changed()).isFalse(); // idempotent
        assertThat(store.list(mesh, bob.id()).get(0).revokedAtMs()).isEqualTo(T0);
        assertThat(store.revoke(mesh, owner.id(), "", T0).status()).isEqualTo("not_unique");
        assertThat(store.revoke(mesh, owner.id(), "", T0).matches()).isEqualTo(2);
    }

    @Test
    void shouldVerifyByHashAndRefuseRevokedExpiredOrBannedIssuersKeys() throws Exception {
        Minted k = mint(bob, List.of("read"), T0 + HOUR, 10);
        ApiKeyStore.Authed ok = store.verify(k.secret().prefix(), k.secret().hash(), T0);
        assertThat(ok.meshId()).isEqualTo(mesh);
        assertThat(ok.issuerMemberId()).isEqualTo(bob.id());
        assertThat(ok.can("read")).isTrue();
        assertThat(ok.can("send")).isFalse();
        assertThat(ok.scoped("anything")).isTrue();
        assertThat(count("select count(*) from mesh.api_key where id = '" + k.id() + "' and secret_hash = '"
                + k.secret().hash() + "' and last_used_at is not null")).isEqualTo(1);
        assertThat(count("select count(*) from mesh.api_key where secret_hash like 'cm_%'")).isZero();

        assertThat(store.verify(k.secret().prefix(), ApiKeySecrets.hash(k.secret().secret() + "x"), T0)).isNull();
        assertThat(store.verify(k.secret().prefix(), k.secret().hash(), T0 + HOUR)).isNull(); // expired
        exec("update mesh.member set revoked_at = now() where id = '" + bob.id() + "'");
        assertThat(store.verify(k.secret().prefix(), k.secret().hash(), T0)).isNull(); // banned issuer
        exec("update mesh.member set revoked_at = null where id = '" + bob.id() + "'");
        store.revoke(mesh, bob.id(), k.id(), T0);
        assertThat(store.verify(k.secret().prefix(), k.secret().hash(), T0)).isNull();
    }

    @Test
    void shouldDeleteKeysRevokedOrExpiredLongerAgoThanTheRetentionWhenOneIsMinted() throws Exception {
        Minted old = mint(bob, List.of("read"), T0 - 48 * HOUR, 10);
        Minted recent = mint(bob, List.of("read"), T0 - HOUR, 10);
        mint(owner, List.of("read"), T0 + HOUR, 10);
        assertThat(count("select count(*) from mesh.api_key where id = '" + old.id() + "'")).isZero();
        assertThat(count("select count(*) from mesh.api_key where id = '" + recent.id() + "'")).isEqualTo(1);
    }

    private static int count(String sql) throws Exception {
        try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static void exec(String sql) throws Exception {
        try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }
}
