package dev.claudemesh.broker.db.store;

import dev.claudemesh.broker.core.Ids;
import dev.claudemesh.broker.core.model.GroupRole;
import dev.claudemesh.broker.core.model.Member;
import dev.claudemesh.broker.core.model.Mesh;
import dev.claudemesh.broker.core.port.DurableOp;
import dev.claudemesh.broker.db.testing.TestDatabase;
import dev.claudemesh.broker.db.testing.TestDatabases;
import dev.claudemesh.broker.db.writer.PgDurableLog;
import dev.claudemesh.broker.db.writer.WriterConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AdminRepositoryIT {

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

    @Test
    void shouldCreateAndFindMeshes() {
        String slug = "conf-" + Ids.newId();

        Mesh mesh = admin.createMesh("Conference", slug);

        assertThat(Ids.isId(mesh.id())).isTrue();
        assertThat(admin.findMesh(mesh.id())).contains(mesh);
        assertThat(admin.findMeshBySlug(slug)).contains(mesh);
        assertThat(admin.findMesh(Ids.newId())).isEmpty();
        assertThat(admin.listMeshIds()).contains(mesh.id());
    }

    @Test
    void shouldRejectADuplicateSlug() {
        String slug = "dup-" + Ids.newId();
        admin.createMesh("a", slug);

        assertThatThrownBy(() -> admin.createMesh("b", slug))
                .isInstanceOf(DuplicateException.class)
                .hasMessageContaining(slug);
    }

    @Test
    void shouldRejectBlankNames() {
        assertThatThrownBy(() -> admin.createMesh(" ", "x")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldAddMembersWithLowercaseKeys() {
        Mesh mesh = admin.createMesh("m", "m-" + Ids.newId());

        Member m = admin.addMember(mesh.id(), "AB".repeat(32), "alice", null, List.of(new GroupRole("ops", null)),
                null);

        assertThat(m.pubkey()).isEqualTo("ab".repeat(32));
        assertThat(m.meshName()).isEqualTo("m");
        assertThat(admin.findMember(mesh.id(), m.id())).contains(m);
        assertThat(admin.listMembers(mesh.id())).containsExactly(m);
    }

    @Test
    void shouldRejectAMemberOfAnUnknownMesh() {
        assertThatThrownBy(() -> admin.addMember(Ids.newId(), "ab".repeat(32), "x", null, null, null))
                .isInstanceOf(NotFoundException.class);
    }

    @Test
    void shouldRejectADuplicateKeyInTheSameMeshOnly() {
        Mesh one = admin.createMesh("one", "one-" + Ids.newId());
        Mesh two = admin.createMesh("two", "two-" + Ids.newId());
        String key = "cd".repeat(32);
        admin.addMember(one.id(), key, "alice", null, null, null);

        assertThatThrownBy(() -> admin.addMember(one.id(), key.toUpperCase(), "again", null, null, null))
                .isInstanceOf(DuplicateException.class);
        assertThat(admin.addMember(two.id(), key, "alice", null, null, null).meshId()).isEqualTo(two.id());
    }

    @Test
    void shouldRejectMalformedKeys() {
        Mesh mesh = admin.createMesh("m", "m-" + Ids.newId());

        assertThatThrownBy(() -> admin.addMember(mesh.id(), "xyz", "a", null, null, null))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldVerifyAnEmptyChain() {
        assertThat(admin.verifyAudit(Ids.newId())).isEqualTo(new AuditVerification(true, 0, null));
    }

    @Test
    void shouldCloseOpenPresences() {
        String presenceId = Ids.newId();
        try (PgDurableLog log = PgDurableLog.start(db.dataSource(), WriterConfig.defaults())) {
            log.submit(new DurableOp.UpsertPresence(Ids.newId(), presenceId, "m", null, "s", "a", "/w", 1L, "idle",
                    "session", 1_000));
            assertThat(log.flush(30_000)).isTrue();
        }

        assertThat(admin.closeOpenPresences(2_000)).isGreaterThanOrEqualTo(1);
        assertThat(admin.closeOpenPresences(3_000)).isZero();
    }
}
