package dev.claudemesh.broker.db.store;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.claudemesh.broker.core.audit.AuditChain;
import dev.claudemesh.broker.core.model.GroupRole;
import dev.claudemesh.broker.core.model.Member;
import org.jooq.Field;
import org.jooq.JSONB;
import org.jooq.Record;
import org.jooq.exception.DataAccessException;

import java.io.IOException;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static dev.claudemesh.broker.db.jooq.mesh.Tables.MEMBER;
import static dev.claudemesh.broker.db.jooq.mesh.Tables.MESH_TABLE;

/**
 * Conversions between rows and core models, shared by the adapters of broker-db (this package and the writer's).
 * Stateless.
 */
public final class Rows {

    private static final JsonFactory JSON = new JsonFactory();

    private Rows() {
    }

    public static OffsetDateTime time(long epochMs) {
        return OffsetDateTime.ofInstant(Instant.ofEpochMilli(epochMs), ZoneOffset.UTC);
    }

    static long millis(OffsetDateTime t) {
        return t.toInstant().toEpochMilli();
    }

    /**
     * PostgreSQL rejects NUL in text; a peer could put one in a display name or cwd. Replacing it keeps one such
     * value from failing (and, as the writer retries, stalling) a whole batch.
     */
    public static String clean(String s) {
        return s == null || s.indexOf('\0') < 0 ? s : s.replace('\0', '\uFFFD');
    }

    /** The columns {@link #member(Record)} reads: {@code member} joined with {@code mesh}. */
    static final List<Field<?>> MEMBER_FIELDS = List.of(MEMBER.ID, MEMBER.MESH_ID, MESH_TABLE.NAME, MEMBER.PEER_PUBKEY,
            MEMBER.DISPLAY_NAME, MEMBER.ROLE_TAG, MEMBER.DEFAULT_GROUPS, MEMBER.PEER_GRANTS, MEMBER.MESSAGE_MODE,
            MEMBER.REVOKED_AT);

    /** Builds a {@link Member} from a row of {@code member} joined with {@code mesh}. */
    static Member member(Record r) {
        return new Member(r.get(MEMBER.ID), r.get(MEMBER.MESH_ID), r.get(MESH_TABLE.NAME), r.get(MEMBER.PEER_PUBKEY),
                r.get(MEMBER.DISPLAY_NAME), r.get(MEMBER.ROLE_TAG), groups(r.get(MEMBER.DEFAULT_GROUPS)),
                grants(r.get(MEMBER.PEER_GRANTS)), r.get(MEMBER.MESSAGE_MODE), r.get(MEMBER.REVOKED_AT) != null);
    }

    static JSONB groupsJson(List<GroupRole> groups) {
        List<Object> out = new ArrayList<>(groups == null ? 0 : groups.size());
        if (groups != null) {
            for (GroupRole g : groups) {
                Map<String, Object> m = new TreeMap<>();
                m.put("name", g.name());
                if (g.role() != null) {
                    m.put("role", g.role());
                }
                out.add(m);
            }
        }
        return JSONB.valueOf(AuditChain.canonicalJson(out));
    }

    static JSONB grantsJson(Map<String, List<String>> grants) {
        Map<String, Object> out = new TreeMap<>();
        if (grants != null) {
            grants.forEach((k, v) -> out.put(k, v == null ? List.of() : List.copyOf(v)));
        }
        return JSONB.valueOf(AuditChain.canonicalJson(out));
    }

    /** Parses {@code [{"name":"be","role":"lead"}, "ops", …]}; entries without a name are skipped. */
    static List<GroupRole> groups(JSONB json) {
        if (json == null || json.data() == null) {
            return List.of();
        }
        List<GroupRole> out = new ArrayList<>();
        try (JsonParser p = JSON.createParser(json.data())) {
            if (p.nextToken() != JsonToken.START_ARRAY) {
                return List.of();
            }
            JsonToken t;
            while ((t = p.nextToken()) != null && t != JsonToken.END_ARRAY) {
                if (t == JsonToken.VALUE_STRING) {
                    out.add(new GroupRole(p.getText(), null));
                } else if (t == JsonToken.START_OBJECT) {
                    String name = null;
                    String role = null;
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        String field = p.currentName();
                        JsonToken v = p.nextToken();
                        if (v == JsonToken.VALUE_STRING && "name".equals(field)) {
                            name = p.getText();
                        } else if (v == JsonToken.VALUE_STRING && "role".equals(field)) {
                            role = p.getText();
                        } else {
                            p.skipChildren();
                        }
                    }
                    if (name != null) {
                        out.add(new GroupRole(name, role));
                    }
                } else {
                    p.skipChildren();
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("member.default_groups is not valid JSON", e);
        }
        return out;
    }

    /** Parses {@code {"<pubkey>":["dm","broadcast"], …}}; non-string capabilities are skipped. */
    static Map<String, List<String>> grants(JSONB json) {
        if (json == null || json.data() == null) {
            return Map.of();
        }
        Map<String, List<String>> out = new LinkedHashMap<>();
        try (JsonParser p = JSON.createParser(json.data())) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return Map.of();
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                if (p.nextToken() != JsonToken.START_ARRAY) {
                    p.skipChildren();
                    continue;
                }
                List<String> caps = new ArrayList<>();
                JsonToken t;
                while ((t = p.nextToken()) != null && t != JsonToken.END_ARRAY) {
                    if (t == JsonToken.VALUE_STRING) {
                        caps.add(p.getText());
                    } else {
                        p.skipChildren();
                    }
                }
                out.put(key, List.copyOf(caps));
            }
        } catch (IOException e) {
            throw new IllegalStateException("member.peer_grants is not valid JSON", e);
        }
        return out;
    }

    /** The SQL state of {@code e}'s driver exception, or null. */
    static String sqlState(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException s && s.getSQLState() != null) {
                return s.getSQLState();
            }
            if (t instanceof DataAccessException d && d.sqlState() != null && !"00000".equals(d.sqlState())) {
                return d.sqlState();
            }
        }
        return null;
    }

    /** True when {@code e} says the connection is gone (SQL state class 08, or the server shut the session). */
    static boolean isConnectionLoss(Throwable e) {
        String state = sqlState(e);
        return state != null && (state.startsWith("08") || state.startsWith("57P0"));
    }

    /**
     * A log-safe description of a failure: exception type, SQL state and the first line of the driver's message
     * (never the SQL with its binds, never server details that could quote row values).
     */
    public static String describe(Throwable e) {
        Throwable root = e;
        for (Throwable t = e; t != null; t = t.getCause()) {
            root = t;
            if (t instanceof SQLException) {
                break;
            }
        }
        String msg = root.getMessage();
        if (msg != null) {
            int nl = msg.indexOf('\n');
            msg = nl < 0 ? msg : msg.substring(0, nl);
            if (msg.length() > 300) {
                msg = msg.substring(0, 300) + "…";
            }
        }
        String state = sqlState(e);
        return root.getClass().getSimpleName() + (state != null ? " [" + state + "]" : "") + ": " + msg;
    }
}
