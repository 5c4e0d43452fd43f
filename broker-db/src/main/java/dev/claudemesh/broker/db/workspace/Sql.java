package dev.claudemesh.broker.db.workspace;

import org.jooq.DSLContext;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/** What the workspace stores share: time conversions and the per-(feature, mesh) advisory lock. Stateless. */
final class Sql {

    /** Advisory lock class of shared state ({@code pg_advisory_xact_lock(class, hashtext(mesh_id))}). */
    static final int STATE_LOCK = 0x636d0005;
    /** Advisory lock class of memory. */
    static final int MEMORY_LOCK = 0x636d0105;
    /** Advisory lock class of tasks. */
    static final int TASK_LOCK = 0x636d0205;

    private Sql() {
    }

    static OffsetDateTime time(long epochMs) {
        return OffsetDateTime.ofInstant(Instant.ofEpochMilli(epochMs), ZoneOffset.UTC);
    }

    static long millis(OffsetDateTime t) {
        return t.toInstant().toEpochMilli();
    }

    /**
     * Serialises the transaction of {@code tx} with every other one that takes the same lock for {@code meshId}, until
     * it ends: quota checks (count, then insert) then cannot interleave, whichever broker runs them. A hash collision
     * between two meshes only makes them wait for each other.
     */
    static void lockMesh(DSLContext tx, int lockClass, String meshId) {
        tx.fetch("select pg_advisory_xact_lock(?, hashtext(?))", lockClass, meshId);
    }
}
