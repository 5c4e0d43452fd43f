package dev.claudemesh.broker.db.store;

import dev.claudemesh.broker.core.presence.MessageLookup;
import dev.claudemesh.broker.db.Database;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.Record;

import javax.sql.DataSource;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import static dev.claudemesh.broker.db.jooq.mesh.Tables.MESSAGE_DELIVERY;
import static dev.claudemesh.broker.db.jooq.mesh.Tables.MESSAGE_QUEUE;
import static org.jooq.impl.DSL.coalesce;
import static org.jooq.impl.DSL.field;
import static org.jooq.impl.DSL.min;
import static org.jooq.impl.DSL.select;

/**
 * {@link MessageLookup} over {@code mesh.message_queue} (delivered: born delivered, or a mark in
 * {@code message_delivery}, V11): a full id by primary key; a prefix by a primary-key range
 * scan. Every id this broker makes starts with 8 base-36 characters of its creation time (
 * {@link dev.claudemesh.broker.core.Ids}), and {@code message_status} prefixes have at least 8 characters, so a
 * prefix names one millisecond: the query reads the ids between that time prefix and the next one (an index range,
 * under the C and the usual linguistic collations alike) and filters them with {@code LIKE}, instead of a sequential
 * scan of the table. A prefix whose first 8 characters are not lowercase base 36 matches no id of this broker and
 * finds nothing without a query.
 *
 * <p>Blocking JDBC; thread-safe. Does not own the {@link DataSource}.</p>
 */
public final class PgMessageLookup implements MessageLookup {

    private static final int ID_LENGTH = 32;
    private static final int TIME_CHARS = 8;
    private static final String BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz";
    /** Born delivered, or the earliest delivery mark appended later (V11). */
    private static final Field<OffsetDateTime> DELIVERED = coalesce(MESSAGE_QUEUE.DELIVERED_AT,
            field(select(min(MESSAGE_DELIVERY.DELIVERED_AT)).from(MESSAGE_DELIVERY)
                    .where(MESSAGE_DELIVERY.ID.eq(MESSAGE_QUEUE.ID)))).as("delivered");

    private final DSLContext dsl;

    public PgMessageLookup(DataSource dataSource) {
        this.dsl = Database.dsl(Objects.requireNonNull(dataSource, "dataSource"));
    }

    @Override
    public List<QueuedMessage> find(String meshId, String idOrPrefix) {
        Objects.requireNonNull(meshId, "meshId");
        Objects.requireNonNull(idOrPrefix, "idOrPrefix");
        Condition where;
        if (idOrPrefix.length() >= ID_LENGTH) {
            where = MESSAGE_QUEUE.ID.eq(idOrPrefix);
        } else {
            if (idOrPrefix.length() < TIME_CHARS) {
                throw new IllegalArgumentException("idOrPrefix: " + idOrPrefix.length() + " chars (expected: >= 8)");
            }
            String time = idOrPrefix.substring(0, TIME_CHARS);
            if (!isBase36(time)) {
                return List.of();
            }
            where = MESSAGE_QUEUE.MESH_ID.eq(meshId).and(MESSAGE_QUEUE.ID.ge(time))
                    .and(MESSAGE_QUEUE.ID.startsWith(idOrPrefix));
            String next = next(time);
            if (next != null) {
                where = where.and(MESSAGE_QUEUE.ID.lt(next));
            }
        }
        List<QueuedMessage> out = new ArrayList<>(2);
        for (Record r : dsl.select(MESSAGE_QUEUE.ID, MESSAGE_QUEUE.MESH_ID, MESSAGE_QUEUE.TARGET_KEY,
                        MESSAGE_QUEUE.SENDER_MEMBER_ID, DELIVERED)
                .from(MESSAGE_QUEUE).where(where).limit(2).fetch()) {
            OffsetDateTime delivered = r.get(DELIVERED);
            out.add(new QueuedMessage(r.get(MESSAGE_QUEUE.ID), r.get(MESSAGE_QUEUE.MESH_ID),
                    r.get(MESSAGE_QUEUE.TARGET_KEY), r.get(MESSAGE_QUEUE.SENDER_MEMBER_ID),
                    delivered == null ? null : Rows.millis(delivered)));
        }
        return out;
    }

    private static boolean isBase36(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (BASE36.indexOf(s.charAt(i)) < 0) {
                return false;
            }
        }
        return true;
    }

    /** The next base-36 value of the same width, or null after {@code zzzzzzzz}. */
    static String next(String time) {
        char[] c = time.toCharArray();
        for (int i = c.length - 1; i >= 0; i--) {
            int d = BASE36.indexOf(c[i]);
            if (d < 35) {
                c[i] = BASE36.charAt(d + 1);
                return new String(c);
            }
            c[i] = '0';
        }
        return null;
    }
}
