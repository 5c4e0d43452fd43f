package dev.claudemesh.broker.db.store;

import dev.claudemesh.broker.core.Ids;
import dev.claudemesh.broker.core.presence.MessageLookup;
import dev.claudemesh.broker.db.Database;
import dev.claudemesh.broker.db.testing.TestDatabase;
import dev.claudemesh.broker.db.testing.TestDatabases;
import org.jooq.DSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.claudemesh.broker.db.jooq.mesh.Tables.MESSAGE_QUEUE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link PgMessageLookup} against a real PostgreSQL: full ids in any mesh, prefixes within the mesh, at most two. */
class PgMessageLookupIT {

    private static final long T0 = 1_780_000_000_000L;

    private static TestDatabase db;
    private static DSLContext dsl;
    private static PgMessageLookup lookup;

    @BeforeAll
    static void createDatabase() {
        db = TestDatabases.newDatabase();
        dsl = Database.dsl(db.dataSource());
        lookup = new PgMessageLookup(db.dataSource());
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
    }

    private static void insert(String id, String meshId, String target, Long deliveredAtMs) {
        dsl.insertInto(MESSAGE_QUEUE).set(MESSAGE_QUEUE.ID, id).set(MESSAGE_QUEUE.MESH_ID, meshId)
                .set(MESSAGE_QUEUE.SENDER_MEMBER_ID, "sender").set(MESSAGE_QUEUE.TARGET_KEY, target)
                .set(MESSAGE_QUEUE.PRIORITY, "next").set(MESSAGE_QUEUE.NONCE, "").set(MESSAGE_QUEUE.CIPHERTEXT, "")
                .set(MESSAGE_QUEUE.CREATED_AT, Rows.time(T0)).set(MESSAGE_QUEUE.EXPIRES_AT, Rows.time(T0 + 1))
                .set(MESSAGE_QUEUE.DELIVERED_AT, deliveredAtMs == null ? null : Rows.time(deliveredAtMs))
                .execute();
    }

    @Test
    void shouldFindAFullIdInAnyMeshWithItsMesh() {
        String mesh = Ids.newId();
        String other = Ids.newId();
        String id = Ids.newId(T0);
        insert(id, other, "*", T0 + 5);

        assertThat(lookup.find(mesh, id)).containsExactly(
                new MessageLookup.QueuedMessage(id, other, "*", "sender", T0 + 5));
        assertThat(lookup.find(mesh, Ids.newId(T0))).isEmpty();
    }

    @Test
    void shouldFindByPrefixWithinTheMeshOnlyAndAtMostTwo() {
        String mesh = Ids.newId();
        String other = Ids.newId();
        long t = T0 + 7;
        String a = Ids.newId(t);
        String b = Ids.newId(t);
        String c = Ids.newId(t);
        String inOtherMesh = Ids.newId(t);
        insert(a, mesh, "ab".repeat(32), null);
        insert(b, mesh, "@be", T0);
        insert(c, mesh, "*", T0);
        insert(inOtherMesh, other, "*", T0);

        assertThat(lookup.find(mesh, a.substring(0, 20))).extracting(MessageLookup.QueuedMessage::id)
                .containsExactly(a);
        assertThat(lookup.find(mesh, a.substring(0, 20)).get(0).deliveredAtMs()).isNull();
        // the time prefix alone names all three of this mesh: two are returned, never the other mesh's
        List<MessageLookup.QueuedMessage> byTime = lookup.find(mesh, a.substring(0, 8));
        assertThat(byTime).hasSize(2).allSatisfy(r -> assertThat(r.meshId()).isEqualTo(mesh));
        assertThat(lookup.find(other, inOtherMesh.substring(0, 16))).extracting(MessageLookup.QueuedMessage::id)
                .containsExactly(inOtherMesh);
        assertThat(lookup.find(mesh, inOtherMesh.substring(0, 16))).isEmpty();
    }

    @Test
    void shouldFindNothingForAPrefixThatNoIdOfThisBrokerCanStartWith() {
        String mesh = Ids.newId();
        insert(Ids.newId(T0), mesh, "*", T0);
        assertThat(lookup.find(mesh, "ABCDEFGH")).isEmpty();
        assertThatThrownBy(() -> lookup.find(mesh, "abc")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldStepToTheNextTimePrefix() {
        assertThat(PgMessageLookup.next("0000000z")).isEqualTo("00000010");
        assertThat(PgMessageLookup.next("abc0zzzz")).isEqualTo("abc10000");
        assertThat(PgMessageLookup.next("zzzzzzzz")).isNull();
    }
}
