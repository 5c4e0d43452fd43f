package dev.claudemesh.broker.core.meshinfo;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The counts {@code mesh_info} reads from the other features' tables (PROTOCOL-MESH §10.1): state keys, memories,
 * files, tasks by status, streams, per-mesh SQL tables. Implemented in broker-db against the tables as PROTOCOL-MESH
 * names them; a feature whose table this broker does not have counts as empty.
 *
 * <p>Blocking (JDBC): call through {@code MeshContext.storage}. Thread-safe.</p>
 */
@FunctionalInterface
public interface MeshInfoStore {

    /**
     * One mesh's counts. Immutable.
     *
     * @param stateKeys     keys of shared state, sorted
     * @param memoryCount   memories not forgotten
     * @param fileCount     files not deleted
     * @param tasksByStatus task count per status, in no particular order
     * @param streams       stream names, oldest first
     * @param tables        tables of the per-mesh SQL schema
     */
    record Counts(List<String> stateKeys, long memoryCount, long fileCount, Map<String, Long> tasksByStatus,
                  List<String> streams, List<String> tables) {
        /** A mesh with nothing in it. */
        public static final Counts EMPTY = new Counts(List.of(), 0, 0, Map.of(), List.of(), List.of());

        public Counts {
            stateKeys = List.copyOf(Objects.requireNonNull(stateKeys, "stateKeys"));
            tasksByStatus = Map.copyOf(Objects.requireNonNull(tasksByStatus, "tasksByStatus"));
            streams = List.copyOf(Objects.requireNonNull(streams, "streams"));
            tables = List.copyOf(Objects.requireNonNull(tables, "tables"));
        }
    }

    Counts counts(String meshId);
}
