package dev.claudemesh.broker.db.store;

import dev.claudemesh.broker.core.schedule.ScheduleStore;
import dev.claudemesh.broker.core.schedule.ScheduledMessage;
import dev.claudemesh.broker.db.Database;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.Record;
import org.jooq.Record2;

import javax.sql.DataSource;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Objects;

import static dev.claudemesh.broker.db.jooq.mesh.Tables.MEMBER;
import static dev.claudemesh.broker.db.jooq.mesh.Tables.MESSAGE_QUEUE;
import static dev.claudemesh.broker.db.jooq.mesh.Tables.SCHEDULED_MESSAGE;
import static org.jooq.impl.DSL.count;
import static org.jooq.impl.DSL.exists;
import static org.jooq.impl.DSL.min;
import static org.jooq.impl.DSL.selectOne;

/**
 * {@link ScheduleStore} over PostgreSQL (table {@code scheduled_message}, migration V6) with jOOQ. Entries of revoked
 * members are left out of every read and claim by a join on {@code member}. The per-member cap: the member row is
 * locked ({@code SELECT … FOR UPDATE}) before the count and the insert, so two brokers on one database cannot both
 * take the last place. Blocking JDBC; thread-safe; does not own the {@link DataSource}.
 */
public final class PgScheduleStore implements ScheduleStore {

    private static final dev.claudemesh.broker.db.jooq.mesh.tables.ScheduledMessage S = SCHEDULED_MESSAGE;
    /** A send under way whose message is in the queue: it was accepted before the broker stopped. */
    private static final Field<Boolean> PENDING_SENT = exists(selectOne().from(MESSAGE_QUEUE)
            .where(MESSAGE_QUEUE.ID.eq(S.PENDING_MESSAGE_ID))).as("pending_sent");

    private final DSLContext dsl;

    public PgScheduleStore(DataSource dataSource) {
        this.dsl = Database.dsl(Objects.requireNonNull(dataSource, "dataSource"));
    }

    private static Condition memberLive() {
        return MEMBER.REVOKED_AT.isNull();
    }

    @Override
    public List<String> meshesWithPending() {
        return dsl.selectDistinct(S.MESH_ID).from(S).join(MEMBER).on(MEMBER.ID.eq(S.MEMBER_ID))
                .where(memberLive()).fetch(S.MESH_ID);
    }

    @Override
    public InsertResult insert(ScheduledMessage e, int maxPendingPerMember) {
        return dsl.transactionResult(cfg -> {
            DSLContext tx = cfg.dsl();
            Record r = tx.select(MEMBER.REVOKED_AT).from(MEMBER)
                    .where(MEMBER.ID.eq(e.memberId()).and(MEMBER.MESH_ID.eq(e.meshId()))).forUpdate().fetchOne();
            if (r == null || r.get(MEMBER.REVOKED_AT) != null) {
                return InsertResult.NO_MEMBER;
            }
            int pending = tx.select(count()).from(S).where(S.MEMBER_ID.eq(e.memberId())).fetchOne(0, int.class);
            if (pending >= maxPendingPerMember) {
                return InsertResult.OVER_CAP;
            }
            tx.insertInto(S, S.ID, S.MESH_ID, S.MEMBER_ID, S.PRESENCE_ID, S.TARGET, S.TO_SELF, S.MESSAGE, S.DELIVER_AT,
                            S.CRON, S.SUBTYPE, S.FIRED_COUNT, S.CREATED_AT)
                    .values(e.id(), e.meshId(), e.memberId(), e.presenceId(), Rows.clean(e.target()), e.toSelf(),
                            Rows.clean(e.message()), Rows.time(e.deliverAtMs()), Rows.clean(e.cron()), e.subtype(),
                            e.firedCount(), Rows.time(e.createdAtMs()))
                    .execute();
            return InsertResult.INSERTED;
        });
    }

    @Override
    public List<ScheduledMessage> listByMember(String meshId, String memberId) {
        return dsl.select(S.fields()).select(PENDING_SENT).from(S)
                .where(S.MESH_ID.eq(meshId).and(S.MEMBER_ID.eq(memberId)))
                .orderBy(S.CREATED_AT, S.ID)
                .fetch(PgScheduleStore::entry);
    }

    @Override
    public boolean cancel(String meshId, String id, String memberId) {
        return dsl.deleteFrom(S).where(S.ID.eq(id).and(S.MESH_ID.eq(meshId)).and(S.MEMBER_ID.eq(memberId)))
                .execute() > 0;
    }

    @Override
    public Due due(String meshId, long beforeMs) {
        OffsetDateTime before = Rows.time(beforeMs);
        List<ScheduledMessage> entries = dsl.select(S.fields()).select(PENDING_SENT).from(S)
                .join(MEMBER).on(MEMBER.ID.eq(S.MEMBER_ID))
                .where(S.MESH_ID.eq(meshId).and(S.DELIVER_AT.lt(before)).and(memberLive()))
                .orderBy(S.DELIVER_AT, S.ID)
                .fetch(PgScheduleStore::entry);
        OffsetDateTime later = dsl.select(min(S.DELIVER_AT)).from(S).join(MEMBER).on(MEMBER.ID.eq(S.MEMBER_ID))
                .where(S.MESH_ID.eq(meshId).and(S.DELIVER_AT.ge(before)).and(memberLive()))
                .fetchOne(0, OffsetDateTime.class);
        return new Due(entries, later == null ? -1 : Rows.millis(later));
    }

    @Override
    public MemberRef claim(String id, String messageId) {
        Record2<String, String> r = dsl.update(S).set(S.PENDING_MESSAGE_ID, messageId).from(MEMBER)
                .where(S.ID.eq(id).and(MEMBER.ID.eq(S.MEMBER_ID)).and(memberLive()))
                .returningResult(MEMBER.PEER_PUBKEY, MEMBER.DISPLAY_NAME)
                .fetchOne();
        return r == null ? null : new MemberRef(r.value1(), r.value2());
    }

    @Override
    public void delete(String id) {
        dsl.deleteFrom(S).where(S.ID.eq(id)).execute();
    }

    @Override
    public void advance(String id, long nextDeliverAtMs, int firedCount, Long firedAtMs) {
        var update = dsl.update(S).set(S.DELIVER_AT, Rows.time(nextDeliverAtMs)).set(S.FIRED_COUNT, firedCount)
                .set(S.PENDING_MESSAGE_ID, (String) null);
        if (firedAtMs != null) {
            update = update.set(S.FIRED_AT, Rows.time(firedAtMs));
        }
        update.where(S.ID.eq(id)).execute();
    }

    private static ScheduledMessage entry(Record r) {
        return new ScheduledMessage(r.get(S.ID), r.get(S.MESH_ID), r.get(S.MEMBER_ID), r.get(S.PRESENCE_ID),
                r.get(S.TARGET), r.get(S.TO_SELF), r.get(S.MESSAGE), Rows.millis(r.get(S.DELIVER_AT)), r.get(S.CRON),
                r.get(S.SUBTYPE), r.get(S.FIRED_COUNT), Rows.millis(r.get(S.CREATED_AT)), r.get(S.PENDING_MESSAGE_ID),
                Boolean.TRUE.equals(r.get(PENDING_SENT)));
    }
}
