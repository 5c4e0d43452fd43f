package dev.claudemesh.broker.db.store;

import dev.claudemesh.broker.core.skill.SkillStore;
import dev.claudemesh.broker.db.Database;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.Record2;

import javax.sql.DataSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import static dev.claudemesh.broker.db.jooq.mesh.Tables.MEMBER;
import static dev.claudemesh.broker.db.jooq.mesh.Tables.SKILL;
import static org.jooq.impl.DSL.condition;
import static org.jooq.impl.DSL.noCondition;
import static org.jooq.impl.DSL.selectOne;
import static org.jooq.impl.DSL.val;

/**
 * {@link SkillStore} over table {@code skill}. The author/admin rule and the quota are decided in the transaction that
 * writes, under the mesh's skill lock ({@link QuotaLock}). Blocking JDBC; thread-safe; does not own the
 * {@link DataSource}.
 *
 * <p>Who is an admin is decided in one place, {@link #isAdmin}: a non-revoked member of the mesh whose
 * {@code member.role} is {@code admin} (the role an admin invite gives, PROTOCOL §9).</p>
 */
public final class PgSkillStore implements SkillStore {

    private final DSLContext dsl;

    public PgSkillStore(DataSource dataSource) {
        this.dsl = Database.dsl(Objects.requireNonNull(dataSource, "dataSource"));
    }

    @Override
    public Shared share(String meshId, String memberId, String authorName, String newId, Skill skill, long nowMs,
                        int maxPerMesh) {
        String name = Rows.clean(skill.name());
        return dsl.transactionResult(cfg -> {
            DSLContext tx = cfg.dsl();
            QuotaLock.take(tx, "mesh.skill", meshId);
            Record2<String, String> existing = tx.select(SKILL.ID, SKILL.AUTHOR_MEMBER_ID).from(SKILL)
                    .where(SKILL.MESH_ID.eq(meshId)).and(SKILL.NAME.eq(name))
                    .fetchOne();
            if (existing == null) {
                if (tx.fetchCount(SKILL, SKILL.MESH_ID.eq(meshId)) >= maxPerMesh) {
                    return Shared.LIMIT_REACHED;
                }
                tx.insertInto(SKILL)
                        .set(SKILL.ID, newId)
                        .set(SKILL.MESH_ID, meshId)
                        .set(SKILL.NAME, name)
                        .set(SKILL.DESCRIPTION, Rows.clean(skill.description()))
                        .set(SKILL.INSTRUCTIONS, Rows.clean(skill.instructions()))
                        .set(SKILL.TAGS, array(skill.tags()))
                        .set(SKILL.AUTHOR_MEMBER_ID, memberId)
                        .set(SKILL.AUTHOR_NAME, Rows.clean(authorName))
                        .set(SKILL.MANIFEST, skill.manifestJson())
                        .set(SKILL.CREATED_AT, Rows.time(nowMs))
                        .set(SKILL.UPDATED_AT, Rows.time(nowMs))
                        .execute();
                return Shared.SHARED;
            }
            if (!memberId.equals(existing.value2()) && !isAdmin(tx, meshId, memberId)) {
                return Shared.FORBIDDEN;
            }
            tx.update(SKILL)
                    .set(SKILL.DESCRIPTION, Rows.clean(skill.description()))
                    .set(SKILL.INSTRUCTIONS, Rows.clean(skill.instructions()))
                    .set(SKILL.TAGS, array(skill.tags()))
                    .set(SKILL.AUTHOR_MEMBER_ID, memberId)
                    .set(SKILL.AUTHOR_NAME, Rows.clean(authorName))
                    .set(SKILL.MANIFEST, skill.manifestJson())
                    .set(SKILL.UPDATED_AT, Rows.time(nowMs))
                    .where(SKILL.ID.eq(existing.value1()))
                    .execute();
            return Shared.SHARED;
        });
    }

    @Override
    public Skill get(String meshId, String name) {
        return dsl.select(SKILL.NAME, SKILL.DESCRIPTION, SKILL.INSTRUCTIONS, SKILL.TAGS, SKILL.AUTHOR_NAME,
                        SKILL.MANIFEST, SKILL.CREATED_AT)
                .from(SKILL)
                .where(SKILL.MESH_ID.eq(meshId)).and(SKILL.NAME.eq(Rows.clean(name)))
                .fetchOne(r -> new Skill(r.get(SKILL.NAME), r.get(SKILL.DESCRIPTION), r.get(SKILL.INSTRUCTIONS),
                        List.of(r.get(SKILL.TAGS)), r.get(SKILL.AUTHOR_NAME), r.get(SKILL.MANIFEST),
                        Rows.millis(r.get(SKILL.CREATED_AT))));
    }

    @Override
    public List<Summary> list(String meshId, String query, int limit) {
        Condition matches = noCondition();
        if (query != null) {
            String q = Rows.clean(query);
            matches = contains(SKILL.NAME, q).or(contains(SKILL.DESCRIPTION, q))
                    .or(condition("exists (select 1 from unnest({0}) as t(tag) where strpos(lower(t.tag), lower({1})) > 0)",
                            SKILL.TAGS, val(q)));
        }
        return new ArrayList<>(dsl.select(SKILL.NAME, SKILL.DESCRIPTION, SKILL.TAGS, SKILL.AUTHOR_NAME, SKILL.CREATED_AT)
                .from(SKILL)
                .where(SKILL.MESH_ID.eq(meshId))
                .and(matches)
                .orderBy(SKILL.NAME)
                .limit(limit)
                .fetch(r -> new Summary(r.get(SKILL.NAME), r.get(SKILL.DESCRIPTION), List.of(r.get(SKILL.TAGS)),
                        r.get(SKILL.AUTHOR_NAME), Rows.millis(r.get(SKILL.CREATED_AT)))));
    }

    @Override
    public Removed remove(String meshId, String memberId, String name) {
        return dsl.transactionResult(cfg -> {
            DSLContext tx = cfg.dsl();
            Record2<String, String> existing = tx.select(SKILL.ID, SKILL.AUTHOR_MEMBER_ID).from(SKILL)
                    .where(SKILL.MESH_ID.eq(meshId)).and(SKILL.NAME.eq(Rows.clean(name)))
                    .forUpdate()
                    .fetchOne();
            if (existing == null) {
                return Removed.NOT_FOUND;
            }
            if (!memberId.equals(existing.value2()) && !isAdmin(tx, meshId, memberId)) {
                return Removed.FORBIDDEN;
            }
            tx.deleteFrom(SKILL).where(SKILL.ID.eq(existing.value1())).execute();
            return Removed.REMOVED;
        });
    }

    /** Case-insensitive substring, without LIKE's wildcards ({@code %} and {@code _} are themselves). */
    private static Condition contains(Field<String> field, String query) {
        return condition("strpos(lower({0}), lower({1})) > 0", field, val(query));
    }

    /** True when {@code memberId} is a non-revoked member of the mesh with role {@code admin}. */
    private static boolean isAdmin(DSLContext tx, String meshId, String memberId) {
        return tx.fetchExists(selectOne().from(MEMBER)
                .where(MEMBER.ID.eq(memberId)).and(MEMBER.MESH_ID.eq(meshId))
                .and(MEMBER.ROLE.eq("admin")).and(MEMBER.REVOKED_AT.isNull()));
    }

    private static String[] array(List<String> values) {
        String[] out = new String[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = Rows.clean(values.get(i));
        }
        return out;
    }
}
