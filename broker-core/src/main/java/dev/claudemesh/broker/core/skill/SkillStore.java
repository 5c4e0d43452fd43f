package dev.claudemesh.broker.core.skill;

import java.util.List;

/**
 * Where skills are kept (table {@code skill}, unique by name in a mesh). Blocking (JDBC): called only through
 * {@link dev.claudemesh.broker.core.mesh.MeshContext#storage}, never on an event loop. Implementations are thread-safe
 * and decide the author/admin rule and the quota in the same transaction as the write, so both hold across brokers.
 *
 * <p>"Admin" is a member of the mesh whose {@code member.role} is {@code admin} and who is not revoked.</p>
 */
public interface SkillStore {

    /**
     * A skill as {@code get_skill} returns it.
     *
     * @param author       member name of whoever shared it last (null when unknown)
     * @param manifestJson the manifest's JSON text exactly as it was shared, or null
     * @param createdAtMs  time of the first share, epoch milliseconds
     */
    record Skill(String name, String description, String instructions, List<String> tags, String author,
                 String manifestJson, long createdAtMs) {
        public Skill {
            tags = List.copyOf(tags);
        }
    }

    /** A skill as {@code list_skills} lists it. */
    record Summary(String name, String description, List<String> tags, String author, long createdAtMs) {
        public Summary {
            tags = List.copyOf(tags);
        }
    }

    /** Outcome of {@link #share}. */
    enum Shared {
        /** Inserted, or overwritten by its author or an admin (who becomes its author). */
        SHARED,
        /** The skill exists, and the caller is neither its author nor an admin: nothing written. */
        FORBIDDEN,
        /** A new name, and the mesh already has the most skills allowed: nothing written. */
        LIMIT_REACHED
    }

    /** Outcome of {@link #remove}. */
    enum Removed { REMOVED, NOT_FOUND, FORBIDDEN }

    /**
     * Inserts or overwrites skill {@code skill.name()} of the mesh on behalf of member {@code memberId}, keeping its
     * first {@code createdAt}.
     *
     * @param newId a fresh id, used when the skill is new
     */
    Shared share(String meshId, String memberId, String authorName, String newId, Skill skill, long nowMs,
                 int maxPerMesh);

    /** Skill {@code name} of the mesh, or null. */
    Skill get(String meshId, String name);

    /**
     * The mesh's skills sorted by name, at most {@code limit}; with a non-null {@code query}, those whose name,
     * description or a tag contains it, case-insensitively.
     */
    List<Summary> list(String meshId, String query, int limit);

    /** Removes skill {@code name} when member {@code memberId} is its author or an admin. */
    Removed remove(String meshId, String memberId, String name);
}
