package dev.claudemesh.broker.db.backup;

import dev.claudemesh.broker.db.Migrator;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What a backup covers, read from PostgreSQL's catalog: the tables of schema {@code mesh} (Flyway's history and the
 * legacy migrator's aside: the restore's own migrations write those), their columns, their foreign keys and the
 * schema's sequences. Stateless; blocking.
 */
final class SchemaCatalog {

    static final String SCHEMA = Migrator.SCHEMA;

    private SchemaCatalog() {
    }

    /**
     * The tables, each after every table it references (Kahn's algorithm, ties by name), so that a restore with
     * foreign-key checks on inserts parents before children. A self-reference needs no order (a {@code COPY} checks
     * its rows' keys at the end of the statement); tables in a reference cycle, which this schema has none of, come
     * last by name.
     */
    static List<String> tablesInRestoreOrder(Connection c) throws SQLException {
        Set<String> tables = new TreeSet<>(strings(c, "SELECT table_name FROM information_schema.tables "
                + "WHERE table_schema = '" + SCHEMA + "' AND table_type = 'BASE TABLE' AND table_name NOT IN ('"
                + Migrator.HISTORY_TABLE + "', '" + Migrator.LEGACY_HISTORY_TABLE + "')"));
        Map<String, Set<String>> parents = new TreeMap<>();
        for (String t : tables) {
            parents.put(t, new TreeSet<>());
        }
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT child.relname, parent.relname FROM pg_constraint k "
                     + "JOIN pg_class child ON child.oid = k.conrelid JOIN pg_class parent ON parent.oid = k.confrelid "
                     + "JOIN pg_namespace n ON n.oid = child.relnamespace "
                     + "WHERE k.contype = 'f' AND n.nspname = '" + SCHEMA + "'")) {
            while (rs.next()) {
                String child = rs.getString(1);
                String parent = rs.getString(2);
                if (!child.equals(parent) && parents.containsKey(child) && tables.contains(parent)) {
                    parents.get(child).add(parent);
                }
            }
        }
        List<String> order = new ArrayList<>();
        Set<String> placed = new LinkedHashSet<>();
        boolean progress = true;
        while (progress) {
            progress = false;
            for (Map.Entry<String, Set<String>> e : parents.entrySet()) {
                if (!placed.contains(e.getKey()) && placed.containsAll(e.getValue())) {
                    placed.add(e.getKey());
                    order.add(e.getKey());
                    progress = true;
                    break; // restart from the smallest name: a stable order
                }
            }
        }
        for (String t : tables) {
            if (!placed.contains(t)) {
                order.add(t); // a cycle
            }
        }
        return order;
    }

    /** The table's columns in definition order, generated columns aside (they cannot be written). */
    static List<String> columns(Connection c, String table) throws SQLException {
        List<String> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT column_name FROM information_schema.columns "
                + "WHERE table_schema = '" + SCHEMA + "' AND table_name = ? AND is_generated = 'NEVER' "
                + "ORDER BY ordinal_position")) {
            ps.setString(1, table);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
        }
        return out;
    }

    /** The sequences of the schema with their last value (null before first use), by name. */
    static List<BackupHeader.Sequence> sequences(Connection c) throws SQLException {
        List<BackupHeader.Sequence> out = new ArrayList<>();
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT sequencename, last_value FROM pg_sequences "
                     + "WHERE schemaname = '" + SCHEMA + "' ORDER BY sequencename")) {
            while (rs.next()) {
                String name = rs.getString(1);
                long v = rs.getLong(2);
                out.add(new BackupHeader.Sequence(name, rs.wasNull() ? null : v));
            }
        }
        return out;
    }

    static long count(Connection c, String table) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM "
                + qualified(table))) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** {@code COPY mesh."t" ("a", "b") } — the common part of both directions. */
    static String copyTarget(String table, List<String> columns) {
        StringBuilder sb = new StringBuilder("COPY ").append(qualified(table)).append(" (");
        for (int i = 0; i < columns.size(); i++) {
            sb.append(i == 0 ? "" : ", ").append(quote(columns.get(i)));
        }
        return sb.append(") ").toString();
    }

    static String qualified(String table) {
        return SCHEMA + "." + quote(table);
    }

    static String quote(String identifier) {
        return "\"" + identifier.replace("\"", "\"\"") + "\"";
    }

    static String single(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static List<String> strings(Connection c, String sql) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }
}
