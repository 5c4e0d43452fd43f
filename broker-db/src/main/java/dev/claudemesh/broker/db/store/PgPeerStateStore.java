package dev.claudemesh.broker.db.store;

import dev.claudemesh.broker.core.Ids;
import dev.claudemesh.broker.core.envelope.JsonNode;
import dev.claudemesh.broker.core.envelope.JsonOut;
import dev.claudemesh.broker.core.envelope.JsonTree;
import dev.claudemesh.broker.core.mesh.SavedPeerState;
import dev.claudemesh.broker.core.presence.PeerStateStore;
import dev.claudemesh.broker.db.Database;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.JSONB;
import org.jooq.Record;
import org.jooq.impl.DSL;

import javax.sql.DataSource;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import static dev.claudemesh.broker.db.jooq.mesh.Tables.PEER_STATE;

/**
 * {@link PeerStateStore} over {@code mesh.peer_state} (sql/V4): one upsert per save, the cumulative counters added in
 * SQL ({@code jsonb_build_object} over the stored values plus the increase), so concurrent saves of one member never
 * lose an increase. JSON values are written without NUL characters (PostgreSQL's {@code jsonb} refuses them; they
 * become U+FFFD, as {@link Rows#clean} does for text).
 *
 * <p>Blocking JDBC; thread-safe. Does not own the {@link DataSource}.</p>
 */
public final class PgPeerStateStore implements PeerStateStore {

    private static final String[] COUNTERS = {"messagesIn", "messagesOut", "toolCalls", "errors"};

    private final DSLContext dsl;

    public PgPeerStateStore(DataSource dataSource) {
        this.dsl = Database.dsl(Objects.requireNonNull(dataSource, "dataSource"));
    }

    @Override
    public SavedPeerState load(String meshId, String memberId) {
        Record r = dsl.select(PEER_STATE.GROUPS, PEER_STATE.VISIBLE, PEER_STATE.PROFILE, PEER_STATE.LAST_SUMMARY,
                        PEER_STATE.LAST_SEEN_AT, PEER_STATE.CUMULATIVE_STATS)
                .from(PEER_STATE)
                .where(PEER_STATE.MESH_ID.eq(meshId).and(PEER_STATE.MEMBER_ID.eq(memberId)))
                .fetchOne();
        if (r == null) {
            return null;
        }
        OffsetDateTime seen = r.get(PEER_STATE.LAST_SEEN_AT);
        return new SavedPeerState(Rows.groups(r.get(PEER_STATE.GROUPS)), r.get(PEER_STATE.VISIBLE),
                object(r.get(PEER_STATE.PROFILE)), r.get(PEER_STATE.LAST_SUMMARY),
                seen == null ? null : Rows.millis(seen), stats(object(r.get(PEER_STATE.CUMULATIVE_STATS))));
    }

    @Override
    public void save(String meshId, String memberId, Save save) {
        OffsetDateTime now = Rows.time(save.savedAtMs());
        SavedPeerState.Stats inc = save.increase();
        long[] increase = {inc.messagesIn(), inc.messagesOut(), inc.toolCalls(), inc.errors()};
        dsl.insertInto(PEER_STATE)
                .set(PEER_STATE.ID, Ids.newId(save.savedAtMs()))
                .set(PEER_STATE.MESH_ID, meshId)
                .set(PEER_STATE.MEMBER_ID, memberId)
                .set(PEER_STATE.GROUPS, Rows.groupsJson(save.groups()))
                .set(PEER_STATE.PROFILE, jsonb(save.profile()))
                .set(PEER_STATE.VISIBLE, save.visible())
                .set(PEER_STATE.LAST_SUMMARY, Rows.clean(save.summary()))
                .set(PEER_STATE.LAST_DISPLAY_NAME, Rows.clean(save.displayName()))
                .set(PEER_STATE.CUMULATIVE_STATS, sum(null, increase))
                .set(PEER_STATE.LAST_SEEN_AT, now)
                .set(PEER_STATE.CREATED_AT, now)
                .set(PEER_STATE.UPDATED_AT, now)
                .onConflict(PEER_STATE.MESH_ID, PEER_STATE.MEMBER_ID)
                .doUpdate()
                .set(PEER_STATE.GROUPS, DSL.excluded(PEER_STATE.GROUPS))
                .set(PEER_STATE.PROFILE, DSL.excluded(PEER_STATE.PROFILE))
                .set(PEER_STATE.VISIBLE, DSL.excluded(PEER_STATE.VISIBLE))
                .set(PEER_STATE.LAST_DISPLAY_NAME, DSL.excluded(PEER_STATE.LAST_DISPLAY_NAME))
                .set(PEER_STATE.LAST_SUMMARY, DSL.coalesce(DSL.excluded(PEER_STATE.LAST_SUMMARY), PEER_STATE.LAST_SUMMARY))
                .set(PEER_STATE.CUMULATIVE_STATS, sum(PEER_STATE.CUMULATIVE_STATS, increase))
                .set(PEER_STATE.LAST_SEEN_AT, DSL.excluded(PEER_STATE.LAST_SEEN_AT))
                .set(PEER_STATE.UPDATED_AT, DSL.excluded(PEER_STATE.UPDATED_AT))
                .execute();
    }

    /**
     * {@code jsonb_build_object('messagesIn', <stored> + ?, …)}; with no stored value ({@code previous} null, the
     * insert) the increase alone. A stored counter that is missing or not a number counts as 0.
     */
    private static Field<JSONB> sum(Field<JSONB> previous, long[] increase) {
        StringBuilder sql = new StringBuilder("jsonb_build_object(");
        List<Object> parts = new ArrayList<>();
        for (int i = 0; i < COUNTERS.length; i++) {
            if (i > 0) {
                sql.append(", ");
            }
            sql.append('\'').append(COUNTERS[i]).append("', ");
            if (previous != null) {
                int p = parts.size();
                // jsonb_typeof guards the cast: a hand-edited non-number counts as 0 instead of failing the save
                sql.append("(case when jsonb_typeof({").append(p).append("} -> '").append(COUNTERS[i])
                        .append("') = 'number' then ({").append(p).append("} ->> '").append(COUNTERS[i])
                        .append("')::numeric::bigint else 0 end) + ");
                parts.add(previous);
            }
            sql.append('{').append(parts.size()).append("}::bigint");
            parts.add(DSL.val(increase[i]));
        }
        sql.append(')');
        return DSL.field(sql.toString(), JSONB.class, parts.toArray());
    }

    private static SavedPeerState.Stats stats(JsonNode.ObjectNode o) {
        return new SavedPeerState.Stats(count(o, COUNTERS[0]), count(o, COUNTERS[1]), count(o, COUNTERS[2]),
                count(o, COUNTERS[3]));
    }

    private static long count(JsonNode.ObjectNode o, String name) {
        if (!(o.get(name) instanceof JsonNode.NumberNode n)) {
            return 0;
        }
        if (n.isLong()) {
            return n.longValue();
        }
        try {
            return n.decimalValue().longValue();
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** A stored jsonb object as a tree; not an object (or null) gives the empty object. */
    static JsonNode.ObjectNode object(JSONB json) {
        if (json == null || json.data() == null) {
            return JsonNode.ObjectNode.EMPTY;
        }
        byte[] text = json.data().getBytes(StandardCharsets.UTF_8);
        try {
            return JsonTree.parseObject(text, 0, text.length);
        } catch (IllegalArgumentException e) {
            return JsonNode.ObjectNode.EMPTY;
        }
    }

    /** {@code value} as jsonb text, NUL characters replaced (see the class comment). */
    static JSONB jsonb(JsonNode value) {
        return JSONB.valueOf(new JsonOut().value(withoutNul(value)).toString());
    }

    private static JsonNode withoutNul(JsonNode v) {
        if (v instanceof JsonNode.StringNode s) {
            return s.value().indexOf('\0') < 0 ? s : new JsonNode.StringNode(Rows.clean(s.value()));
        }
        if (v instanceof JsonNode.ArrayNode a) {
            List<JsonNode> items = new ArrayList<>(a.items().size());
            for (JsonNode item : a.items()) {
                items.add(withoutNul(item));
            }
            return new JsonNode.ArrayNode(items);
        }
        if (v instanceof JsonNode.ObjectNode o) {
            Map<String, JsonNode> fields = new LinkedHashMap<>();
            for (Map.Entry<String, JsonNode> e : o.fields().entrySet()) {
                fields.put(Rows.clean(e.getKey()), withoutNul(e.getValue()));
            }
            return new JsonNode.ObjectNode(fields);
        }
        return v;
    }
}
