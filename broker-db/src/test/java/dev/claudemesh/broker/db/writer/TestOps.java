package dev.claudemesh.broker.db.writer;

import dev.claudemesh.broker.core.Ids;
import dev.claudemesh.broker.core.model.StoredMessage;
import dev.claudemesh.broker.core.port.DurableOp;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import javax.sql.DataSource;

/** Ops for the writer's unit tests. */
final class TestOps {

    static final long NOW = 1_780_000_000_000L;

    private TestOps() {
    }

    static StoredMessage dm(String meshId) {
        return new StoredMessage(Ids.newId(), meshId, "m1", "a".repeat(64), "b".repeat(64), "alice", "t".repeat(64),
                "next", "AA==".getBytes(StandardCharsets.US_ASCII), "AQ==".getBytes(StandardCharsets.US_ASCII), null,
                null, NOW, NOW + 60_000);
    }

    static DurableOp.EnqueueMessage enqueue(String meshId) {
        return new DurableOp.EnqueueMessage(dm(meshId));
    }

    static DurableOp.UpsertPresence upsertPresence(String meshId, String presenceId) {
        return new DurableOp.UpsertPresence(meshId, presenceId, "m1", "b".repeat(64), "s1", "alice", "/tmp", 1L,
                "idle", null, NOW);
    }

    /** True when {@code mesh.message_queue} holds a committed row {@code messageId} (the ITs' probe). */
    static boolean rowExists(DataSource ds, String messageId) {
        try (Connection c = ds.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT 1 FROM mesh.message_queue WHERE id = ?")) {
            ps.setString(1, messageId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
