package dev.claudemesh.broker.db.backup;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The second line of a backup file: what the file holds, as one JSON object. Written before the data, so the counts
 * are taken inside the backup's snapshot (they are exactly the rows that follow).
 *
 * <pre>
 * {"format":1,"createdAt":"2026-05-01T03:00:00.123Z","schemaVersion":"9","producer":"claudemesh-broker 0.2.0 …",
 *  "server":"18.1","tables":[{"name":"mesh","columns":["id",…],"rows":3},…],
 *  "sequences":[{"name":"audit_log_id_seq","lastValue":42},…]}
 * </pre>
 *
 * @param format        the file format's version ({@link BackupFormat#VERSION})
 * @param createdAt     when the snapshot was taken (ISO-8601, UTC)
 * @param schemaVersion the Flyway schema version of the database backed up (restore migrates to exactly it)
 * @param producer      the program and version that wrote the file
 * @param server        the PostgreSQL server version it was read from
 * @param tables        every table of schema {@code mesh} but the migration history, in restore (foreign-key) order
 * @param sequences     the sequences of schema {@code mesh}
 */
public record BackupHeader(int format, String createdAt, String schemaVersion, String producer, String server,
                           List<Table> tables, List<Sequence> sequences) {

    private static final JsonFactory JSON = new JsonFactory();

    public BackupHeader {
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(schemaVersion, "schemaVersion");
        Objects.requireNonNull(producer, "producer");
        Objects.requireNonNull(server, "server");
        tables = List.copyOf(tables);
        sequences = List.copyOf(sequences);
    }

    /**
     * One table's part of the file.
     *
     * @param name    the table's name in schema {@code mesh}
     * @param columns the columns in the file's order (generated columns aside: the restore recomputes them)
     * @param rows    the rows that follow its {@code TABLE} line
     */
    public record Table(String name, List<String> columns, long rows) {
        public Table {
            Objects.requireNonNull(name, "name");
            columns = List.copyOf(columns);
            if (rows < 0) {
                throw new IllegalArgumentException("rows: " + rows + " (expected: >= 0)");
            }
        }
    }

    /**
     * A sequence's position.
     *
     * @param name      the sequence's name in schema {@code mesh}
     * @param lastValue its last value handed out, or null when it never handed one out
     */
    public record Sequence(String name, Long lastValue) {
        public Sequence {
            Objects.requireNonNull(name, "name");
        }
    }

    /** All rows of all tables. */
    public long totalRows() {
        return tables.stream().mapToLong(Table::rows).sum();
    }

    /** The header as one line of JSON (no line break). */
    public String toJson() {
        StringWriter out = new StringWriter();
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeNumberField("format", format);
            g.writeStringField("createdAt", createdAt);
            g.writeStringField("schemaVersion", schemaVersion);
            g.writeStringField("producer", producer);
            g.writeStringField("server", server);
            g.writeArrayFieldStart("tables");
            for (Table t : tables) {
                g.writeStartObject();
                g.writeStringField("name", t.name());
                g.writeArrayFieldStart("columns");
                for (String c : t.columns()) {
                    g.writeString(c);
                }
                g.writeEndArray();
                g.writeNumberField("rows", t.rows());
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeArrayFieldStart("sequences");
            for (Sequence s : sequences) {
                g.writeStartObject();
                g.writeStringField("name", s.name());
                if (s.lastValue() == null) {
                    g.writeNullField("lastValue");
                } else {
                    g.writeNumberField("lastValue", s.lastValue());
                }
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a StringWriter does not throw
        }
        return out.toString();
    }

    /**
     * Reads {@link #toJson()}'s output.
     *
     * @throws BackupException when the text is not such a header
     */
    public static BackupHeader parse(String json) {
        Objects.requireNonNull(json, "json");
        try (JsonParser p = JSON.createParser(json)) {
            if (!(read(p, p.nextToken()) instanceof Map<?, ?> root) || p.nextToken() != null) {
                throw new BackupException("the header is not one JSON object");
            }
            List<Table> tables = new ArrayList<>();
            for (Object o : list(root, "tables")) {
                Map<?, ?> t = map(o, "tables[]");
                List<String> columns = new ArrayList<>();
                for (Object c : list(t, "columns")) {
                    columns.add(string(c, "columns[]"));
                }
                tables.add(new Table(string(t.get("name"), "tables[].name"), columns,
                        number(t.get("rows"), "tables[].rows")));
            }
            List<Sequence> sequences = new ArrayList<>();
            for (Object o : list(root, "sequences")) {
                Map<?, ?> s = map(o, "sequences[]");
                Object last = s.get("lastValue");
                sequences.add(new Sequence(string(s.get("name"), "sequences[].name"),
                        last == null ? null : number(last, "sequences[].lastValue")));
            }
            return new BackupHeader((int) number(root.get("format"), "format"),
                    string(root.get("createdAt"), "createdAt"), string(root.get("schemaVersion"), "schemaVersion"),
                    string(root.get("producer"), "producer"), string(root.get("server"), "server"), tables,
                    sequences);
        } catch (JsonProcessingException e) {
            throw new BackupException("the header is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a String does not throw
        } catch (IllegalArgumentException e) {
            throw new BackupException("the header is not valid: " + e.getMessage());
        }
    }

    private static Object read(JsonParser p, JsonToken t) throws IOException {
        if (t == null) {
            return null;
        }
        switch (t) {
            case START_OBJECT: {
                Map<String, Object> m = new LinkedHashMap<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String name = p.currentName();
                    m.put(name, read(p, p.nextToken()));
                }
                return m;
            }
            case START_ARRAY: {
                List<Object> l = new ArrayList<>();
                for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) {
                    l.add(read(p, e));
                }
                return l;
            }
            case VALUE_STRING:
                return p.getText();
            case VALUE_NUMBER_INT:
                return p.getLongValue();
            case VALUE_NULL:
                return null;
            default:
                throw new BackupException("the header has an unexpected " + t + " at " + p.currentLocation());
        }
    }

    private static List<?> list(Map<?, ?> m, String field) {
        if (!(m.get(field) instanceof List<?> l)) {
            throw new BackupException("the header's " + field + " is not a list");
        }
        return l;
    }

    private static Map<?, ?> map(Object o, String what) {
        if (!(o instanceof Map<?, ?> m)) {
            throw new BackupException("the header's " + what + " is not an object");
        }
        return m;
    }

    private static String string(Object o, String what) {
        if (!(o instanceof String s)) {
            throw new BackupException("the header's " + what + " is not a string");
        }
        return s;
    }

    private static long number(Object o, String what) {
        if (!(o instanceof Long n)) {
            throw new BackupException("the header's " + what + " is not an integer");
        }
        return n;
    }
}
