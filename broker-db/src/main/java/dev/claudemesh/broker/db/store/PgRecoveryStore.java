package dev.claudemesh.broker.db.store;

import dev.claudemesh.broker.core.Ids;
import dev.claudemesh.broker.core.model.RecentSend;
import dev.claudemesh.broker.core.model.StoredMessage;
import dev.claudemesh.broker.core.port.RecoveryStore;
import dev.claudemesh.broker.db.Database;
import dev.claudemesh.broker.db.jooq.mesh.tables.MessageQueue;
import org.jooq.DSLContext;
import org.jooq.Record;
import org.jooq.SQLDialect;
import org.jooq.conf.Settings;
import org.jooq.impl.DSL;

import javax.sql.DataSource;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import static dev.claudemesh.broker.db.jooq.mesh.Tables.MESSAGE_DELIVERY;
import static dev.claudemesh.broker.db.jooq.mesh.Tables.MESSAGE_QUEUE;
import static org.jooq.impl.DSL.notExists;
import static org.jooq.impl.DSL.selectOne;

/**
 * The boot-time reads of {@link RecoveryStore} over {@code message_queue}: the DMs to deliver and the recent sends of
 * the idempotency window (moved here unchanged from the durable writer,
 * {@link dev.claudemesh.broker.db.writer.PgDurableLog}, which only writes). Blocking JDBC;
 * thread-safe; does not own the {@link DataSource}.
 */
public final class PgRecoveryStore implements RecoveryStore {

    private final DataSource dataSource;
    private final Settings settings = Database.settings();

    public PgRecoveryStore(DataSource dataSource) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    }

    /**
     * Loads every undelivered DM with {@code expires_at > nowMs}, oldest first: not born delivered, and without a
     * delivery mark in {@code message_delivery} (V11). Blocking; not on an event loop.
     */
    @Override
    public List<StoredMessage> loadUndelivered(long nowMs) {
        MessageQueue q = MESSAGE_QUEUE;
        DSLContext dsl = DSL.using(dataSource, SQLDialect.POSTGRES, settings);
        List<StoredMessage> out = new ArrayList<>();
        for (Record r : dsl.select(q.ID, q.MESH_ID, q.SENDER_MEMBER_ID, q.SENDER_MEMBER_PUBKEY, q.SENDER_PUBKEY,
                        q.SENDER_NAME, q.TARGET_KEY, q.PRIORITY, q.NONCE, q.CIPHERTEXT, q.CLIENT_MESSAGE_ID,
                        q.REQUEST_FINGERPRINT, q.CREATED_AT, q.EXPIRES_AT, q.SUBTYPE)
                .from(q)
                .where(q.DELIVERED_AT.isNull())
                .and(q.EXPIRES_AT.gt(Rows.time(nowMs)))
                .and(notExists(selectOne().from(MESSAGE_DELIVERY).where(MESSAGE_DELIVERY.ID.eq(q.ID))))
                .orderBy(q.CREATED_AT, q.ID)
                .fetch()) {
            out.add(new StoredMessage(r.get(q.ID), r.get(q.MESH_ID), r.get(q.SENDER_MEMBER_ID),
                    r.get(q.SENDER_MEMBER_PUBKEY), r.get(q.SENDER_PUBKEY), r.get(q.SENDER_NAME), r.get(q.TARGET_KEY),
                    r.get(q.PRIORITY), r.get(q.NONCE).getBytes(StandardCharsets.US_ASCII),
                    r.get(q.CIPHERTEXT).getBytes(StandardCharsets.US_ASCII), r.get(q.CLIENT_MESSAGE_ID),
                    r.get(q.REQUEST_FINGERPRINT), Rows.millis(r.get(q.CREATED_AT)), Rows.millis(r.get(q.EXPIRES_AT)),
                    r.get(q.SUBTYPE)));
        }
        return out;
    }

    /**
     * The DM sends with a {@code client_message_id} created after {@code sinceMs}, oldest first. Ids start with their
     * creation time ({@link Ids#timePrefix}), so this is a range scan of the primary key (rows written before ids
     * carried the time are not found: they are older than any idempotency window by now). Blocking; boot only.
     */
    @Override
    public List<RecentSend> loadRecentSends(long sinceMs) {
        MessageQueue q = MESSAGE_QUEUE;
        DSLContext dsl = DSL.using(dataSource, SQLDialect.POSTGRES, settings);
        List<RecentSend> out = new ArrayList<>();
        for (Record r : dsl.select(q.MESH_ID, q.SENDER_PUBKEY, q.CLIENT_MESSAGE_ID, q.ID, q.CREATED_AT)
                .from(q)
                .where(q.ID.ge(Ids.timePrefix(sinceMs)))
                .and(q.CREATED_AT.gt(Rows.time(sinceMs)))
                .and(q.CLIENT_MESSAGE_ID.isNotNull())
                .and(q.SENDER_PUBKEY.isNotNull())
                .orderBy(q.CREATED_AT, q.ID)
                .fetch()) {
            out.add(new RecentSend(r.get(q.MESH_ID), r.get(q.SENDER_PUBKEY), r.get(q.CLIENT_MESSAGE_ID), r.get(q.ID),
                    Rows.millis(r.get(q.CREATED_AT))));
        }
        return out;
    }
}
