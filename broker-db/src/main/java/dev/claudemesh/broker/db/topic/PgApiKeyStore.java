package dev.claudemesh.broker.db.topic;

import dev.claudemesh.broker.core.apikey.ApiKeyStore;
import dev.claudemesh.broker.db.Database;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Record;

import javax.sql.DataSource;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

import static dev.claudemesh.broker.db.jooq.mesh.Tables.API_KEY;
import static dev.claudemesh.broker.db.jooq.mesh.Tables.MEMBER;
import static dev.claudemesh.broker.db.topic.TopicRows.millisOrNull;
import static dev.claudemesh.broker.db.topic.TopicRows.time;

/**
 * {@link ApiKeyStore} on PostgreSQL with jOOQ (table {@code api_key}). A create locks the issuer's member row
 * ({@code FOR NO KEY UPDATE}) while it checks the issuer's rights and counts its live keys, so the quota holds when
 * two brokers share the database. Stores and compares only SHA-256 hashes of secrets. Blocking; thread-safe.
 */
public final class PgApiKeyStore implements ApiKeyStore {

    /** {@code last_used_at} is written at most this often per key (every REST request would otherwise write a row). */
    static final long LAST_USED_RESOLUTION_MS = 60_000;

    private final DSLContext dsl;

    public PgApiKeyStore(DataSource dataSource) {
        this.dsl = Database.dsl(Objects.requireNonNull(dataSource, "dataSource"));
    }

    @Override
    public CreateStatus create(NewKey k, int maxActivePerMember, long retentionMs) {
        return dsl.transactionResult(cfg -> {
            DSLContext tx = cfg.dsl();
            Record issuer = tx.select(MEMBER.ROLE, MEMBER.REVOKED_AT).from(MEMBER)
                    .where(MEMBER.ID.eq(k.issuerMemberId()), MEMBER.MESH_ID.eq(k.meshId())).forNoKeyUpdate().fetchOne();
            if (issuer == null || issuer.get(MEMBER.REVOKED_AT) != null) {
                return CreateStatus.FORBIDDEN;
            }
            boolean admin = "admin".equals(issuer.get(MEMBER.ROLE));
            if (!admin && !Collections.disjoint(k.capabilities(), ADMIN_CAPABILITIES)) {
                return CreateStatus.FORBIDDEN;
            }
            OffsetDateTime now = time(k.nowMs());
            int live = tx.fetchCount(API_KEY, API_KEY.ISSUED_BY_MEMBER_ID.eq(k.issuerMemberId()),
                    API_KEY.REVOKED_AT.isNull(), API_KEY.EXPIRES_AT.isNull().or(API_KEY.EXPIRES_AT.gt(now)));
            if (live >= maxActivePerMember) {
                return CreateStatus.LIMIT_EXCEEDED;
            }
            OffsetDateTime horizon = time(k.nowMs() - retentionMs);
            tx.deleteFrom(API_KEY).where(API_KEY.MESH_ID.eq(k.meshId()),
                    API_KEY.REVOKED_AT.lt(horizon).or(API_KEY.EXPIRES_AT.lt(horizon))).execute();
            tx.insertInto(API_KEY).set(API_KEY.ID, k.id()).set(API_KEY.MESH_ID, k.meshId()).set(API_KEY.LABEL, k.label())
                    .set(API_KEY.SECRET_HASH, k.secretHash()).set(API_KEY.SECRET_PREFIX, k.secretPrefix())
                    .set(API_KEY.CAPABILITIES, TopicRows.stringArray(k.capabilities()))
                    .set(API_KEY.TOPIC_SCOPES, k.topicScopes() == null ? null : TopicRows.stringArray(k.topicScopes()))
                    .set(API_KEY.ISSUED_BY_MEMBER_ID, k.issuerMemberId()).set(API_KEY.CREATED_AT, now)
                    .set(API_KEY.EXPIRES_AT, time(k.expiresAtMs())).execute();
            return CreateStatus.CREATED;
        });
    }

    @Override
    public List<Key> list(String meshId, String callerMemberId) {
        Condition where = visible(dsl, meshId, callerMemberId);
        List<Key> out = new ArrayList<>();
        for (Record r : dsl.selectFrom(API_KEY).where(where).orderBy(API_KEY.CREATED_AT.desc(), API_KEY.ID.desc())
                .fetch()) {
            List<String> caps = TopicRows.strings(r.get(API_KEY.CAPABILITIES));
            out.add(new Key(r.get(API_KEY.ID), r.get(API_KEY.LABEL), r.get(API_KEY.SECRET_PREFIX),
                    caps == null ? List.of() : caps, TopicRows.strings(r.get(API_KEY.TOPIC_SCOPES)),
                    TopicRows.millis(r.get(API_KEY.CREATED_AT)), millisOrNull(r.get(API_KEY.LAST_USED_AT)),
                    millisOrNull(r.get(API_KEY.REVOKED_AT)), millisOrNull(r.get(API_KEY.EXPIRES_AT)),
                    r.get(API_KEY.ISSUED_BY_MEMBER_ID)));
        }
        return out;
    }

    /** Every key of the mesh for a mesh admin, else the caller's own (PROTOCOL-MESH §8.9 [fix]). */
    private static Condition visible(DSLContext ctx, String meshId, String callerMemberId) {
        Condition where = API_KEY.MESH_ID.eq(meshId);
        return PgTopicStore.isAdmin(ctx, callerMemberId) ? where
                : where.and(API_KEY.ISSUED_BY_MEMBER_ID.eq(callerMemberId));
    }

    @Override
    public Revoked revoke(String meshId, String callerMemberId, String idOrPrefix, long nowMs) {
        return dsl.transactionResult(cfg -> {
            DSLContext tx = cfg.dsl();
            List<Record> candidates = new ArrayList<>(tx.select(API_KEY.ID, API_KEY.REVOKED_AT).from(API_KEY)
                    .where(visible(tx, meshId, callerMemberId),
                            API_KEY.ID.eq(idOrPrefix).or(API_KEY.ID.startsWith(idOrPrefix)))
                    .orderBy(API_KEY.ID).limit(2).fetch());
            if (candidates.isEmpty()) {
                return new Revoked("not_found", null, 0, false);
            }
            if (candidates.size() > 1) {
                return new Revoked("not_unique", null, candidates.size(), false);
            }
            String id = candidates.get(0).get(API_KEY.ID);
            int n = tx.update(API_KEY).set(API_KEY.REVOKED_AT, time(nowMs))
                    .where(API_KEY.ID.eq(id), API_KEY.REVOKED_AT.isNull()).execute();
            return new Revoked("revoked", id, 1, n == 1);
        });
    }

    @Override
    public Authed verify(String secretPrefix, String secretHash, long nowMs) {
        OffsetDateTime now = time(nowMs);
        byte[] given = secretHash.getBytes(StandardCharsets.US_ASCII);
        for (Record r : dsl.select(API_KEY.ID, API_KEY.MESH_ID, API_KEY.SECRET_HASH, API_KEY.CAPABILITIES,
                        API_KEY.TOPIC_SCOPES, API_KEY.ISSUED_BY_MEMBER_ID, API_KEY.LAST_USED_AT)
                .from(API_KEY).leftJoin(MEMBER).on(MEMBER.ID.eq(API_KEY.ISSUED_BY_MEMBER_ID))
                .where(API_KEY.SECRET_PREFIX.eq(secretPrefix), API_KEY.REVOKED_AT.isNull(),
                        API_KEY.EXPIRES_AT.isNull().or(API_KEY.EXPIRES_AT.gt(now)), MEMBER.REVOKED_AT.isNull())
                .fetch()) {
            if (!MessageDigest.isEqual(given, r.get(API_KEY.SECRET_HASH).getBytes(StandardCharsets.US_ASCII))) {
                continue;
            }
            OffsetDateTime used = r.get(API_KEY.LAST_USED_AT);
            if (used == null || TopicRows.millis(used) < nowMs - LAST_USED_RESOLUTION_MS) {
                dsl.update(API_KEY).set(API_KEY.LAST_USED_AT, now).where(API_KEY.ID.eq(r.get(API_KEY.ID))).execute();
            }
            List<String> caps = TopicRows.strings(r.get(API_KEY.CAPABILITIES));
            return new Authed(r.get(API_KEY.ID), r.get(API_KEY.MESH_ID), r.get(API_KEY.ISSUED_BY_MEMBER_ID),
                    caps == null ? List.of() : caps, TopicRows.strings(r.get(API_KEY.TOPIC_SCOPES)));
        }
        return null;
    }
}
