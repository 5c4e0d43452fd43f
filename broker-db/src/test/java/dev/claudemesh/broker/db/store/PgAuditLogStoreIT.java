package dev.claudemesh.broker.db.store;

import dev.claudemesh.broker.core.Ids;
import dev.claudemesh.broker.core.auditlog.AuditLogStore;
import dev.claudemesh.broker.core.model.Member;
import dev.claudemesh.broker.core.model.Mesh;
import dev.claudemesh.broker.db.testing.TestDatabase;
import dev.claudemesh.broker.db.testing.TestDatabases;
import dev.claudemesh.broker.db.writer.PgDurableLog;
import dev.claudemesh.broker.db.writer.TestAudits;
import dev.claudemesh.broker.db.writer.WriterConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.Statement;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code audit_query} / {@code audit_verify} over a chain the real writer made: newest first, paging, the event-type
 * filter, the total, the actor's name, and verification that finds a tampered row.
 */
class PgAuditLogStoreIT {

    private static TestDatabase db;

    @BeforeAll
    static void createDatabase() {
        db = TestDatabases.newDatabase();
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
    }

    @Test
    void shouldPageTheMeshsChainNewestFirstWithActorNames() throws Exception {
        AdminRepository repo = new AdminRepository(db.dataSource());
        Mesh mesh = repo.createMesh("m", "m-" + Ids.newId().toLowerCase());
        Mesh other = repo.createMesh("o", "o-" + Ids.newId().toLowerCase());
        Member ada = repo.addMember(mesh.id(), "ad".repeat(32), "ada", null, null, null);
        long t = 1_790_000_000_000L;
        try (PgDurableLog log = PgDurableLog.start(db.dataSource(), WriterConfig.defaults())) {
            log.submit(TestAudits.audit(mesh.id(), "peer_joined", ada.id(), Map.of("pubkey", ada.pubkey()), t));
            log.submit(TestAudits.audit(mesh.id(), "member_kicked", ada.id(), Map.of("reason", "kicked"), t + 1));
            log.submit(TestAudits.audit(mesh.id(), "peer_left", "gone-member", Map.of(), t + 2));
            log.submit(TestAudits.audit(mesh.id(), "peer_left", null, Map.of(), t + 3));
            log.submit(TestAudits.audit(other.id(), "peer_left", null, Map.of(), t + 4));
            assertThat(log.flush(10_000)).isTrue();
        }
        PgAuditLogStore store = new PgAuditLogStore(db.dataSource());

        AuditLogStore.Page all = store.query(mesh.id(), 50, 0, null);
        assertThat(all.total()).isEqualTo(4);
        assertThat(all.entries()).extracting(e -> e.eventType() + "/" + e.actor())
                .containsExactly("peer_left/system", "peer_left/gone-member", "member_kicked/ada", "peer_joined/ada");
        assertThat(all.entries().get(2).payloadJson()).isEqualTo("{\"reason\":\"kicked\"}");
        assertThat(all.entries().get(3).createdAtMs()).isEqualTo(t);
        assertThat(all.entries().get(0).id()).isGreaterThan(all.entries().get(1).id());

        AuditLogStore.Page page = store.query(mesh.id(), 1, 1, "peer_left");
        assertThat(page.total()).isEqualTo(2);
        assertThat(page.entries()).singleElement().extracting(AuditLogStore.Entry::actor).isEqualTo("gone-member");
        assertThat(store.query(mesh.id(), 0, 0, null).entries()).isEmpty();

        assertThat(store.verify(mesh.id())).isEqualTo(new AuditLogStore.Verification(true, 4, null));
        long second = all.entries().get(2).id();
        try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement()) {
            st.execute("UPDATE mesh.audit_log SET payload_canonical = '{\"reason\":\"banned\"}' WHERE id = " + second);
        }
        assertThat(store.verify(mesh.id())).isEqualTo(new AuditLogStore.Verification(false, 4, second));
    }
}
