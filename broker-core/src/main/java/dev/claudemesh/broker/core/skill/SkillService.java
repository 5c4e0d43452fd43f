package dev.claudemesh.broker.core.skill;

import dev.claudemesh.broker.core.Ids;
import dev.claudemesh.broker.core.audit.AuditChain;
import dev.claudemesh.broker.core.audit.AuditEvent;
import dev.claudemesh.broker.core.envelope.Frames;
import dev.claudemesh.broker.core.envelope.Inbound;
import dev.claudemesh.broker.core.envelope.JsonFields;
import dev.claudemesh.broker.core.envelope.JsonNode;
import dev.claudemesh.broker.core.envelope.JsonOut;
import dev.claudemesh.broker.core.mesh.Lease;
import dev.claudemesh.broker.core.mesh.MeshContext;
import dev.claudemesh.broker.core.mesh.MeshService;
import dev.claudemesh.broker.core.mesh.PeerSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Objects;

/**
 * Skills (PROTOCOL-MESH §11.3): {@code share_skill}, {@code get_skill}, {@code list_skills}, {@code remove_skill}.
 * Replies are sent once the store has answered, so they describe committed rows. With the §11.3 [fix]: only the
 * author or an admin overwrites or removes a skill ({@code forbidden}), and a missing or ill-typed field is
 * {@code bad_request} instead of silence (§16 defect 13). A skill's {@code manifest} is stored as the exact JSON text
 * it came as and written back unchanged, since the CLI's MCP server builds prompt front matter from it.
 *
 * <p>Stateless and thread-safe; the per-mesh state is the mesh's {@link MeshContext} itself. Handlers run on the mesh
 * loop.</p>
 */
public final class SkillService implements MeshService<MeshContext> {

    private static final Logger log = LoggerFactory.getLogger(SkillService.class);
    /** Longest skill name, in characters. */
    static final int MAX_NAME_CHARS = 256;
    /** Most tags of one skill. */
    static final int MAX_TAGS = 64;

    /**
     * The service's limits (settings). Immutable.
     *
     * @param maxSkillsPerMesh      skills per mesh; {@code list_skills} returns at most this many
     * @param maxInstructionsBytes  UTF-8 bytes of one skill's instructions
     */
    public record Limits(int maxSkillsPerMesh, int maxInstructionsBytes) {
        public Limits {
            if (maxSkillsPerMesh < 1) {
                throw new IllegalArgumentException("maxSkillsPerMesh: " + maxSkillsPerMesh + " (expected: > 0)");
            }
            if (maxInstructionsBytes < 1) {
                throw new IllegalArgumentException("maxInstructionsBytes: " + maxInstructionsBytes
                        + " (expected: > 0)");
            }
        }
    }

    private final SkillStore store;
    private final Limits limits;

    public SkillService(SkillStore store, Limits limits) {
        this.store = Objects.requireNonNull(store, "store");
        this.limits = Objects.requireNonNull(limits, "limits");
    }

    @Override
    public String name() {
        return "skills";
    }

    @Override
    public void registerHandlers(Registrar<MeshContext> r) {
        r.handle("share_skill", this::share);
        r.handle("get_skill", this::get);
        r.handle("list_skills", this::list);
        r.handle("remove_skill", this::remove);
    }

    @Override
    public MeshContext createMeshState(MeshContext mesh) {
        return mesh;
    }

    /** {@code share_skill {name, description, instructions, tags?, manifest?}} → {@code skill_ack "shared"}. */
    private void share(MeshContext mesh, PeerSession from, Inbound in) {
        JsonNode.ObjectNode body = in.body();
        SkillStore.Skill skill;
        try {
            String name = JsonFields.requiredString(body, "name", MAX_NAME_CHARS);
            String description = JsonFields.requiredText(body, "description");
            String instructions = JsonFields.requiredText(body, "instructions");
            List<String> tags = JsonFields.stringArray(body, "tags", MAX_TAGS);
            JsonNode manifest = body.get("manifest");
            String manifestJson = manifest == null || manifest instanceof JsonNode.NullNode
                    ? null : JsonFields.text(manifest);
            skill = new SkillStore.Skill(name, description, instructions, tags, null, manifestJson, 0);
        } catch (JsonFields.BadField e) {
            reject(mesh, from, in, "bad_request", e.getMessage());
            return;
        }
        if (JsonFields.utf8Length(skill.instructions()) > limits.maxInstructionsBytes()) {
            reject(mesh, from, in, "payload_too_large",
                    "instructions must be at most " + limits.maxInstructionsBytes() + " bytes");
            return;
        }
        Lease caller = from.lease();
        String memberId = caller.member().id();
        String authorName = caller.member().displayName();
        long nowMs = mesh.nowMs();
        String newId = Ids.newId(nowMs);
        mesh.onLoop(mesh.storage(() -> store.share(mesh.meshId(), memberId, authorName, newId, skill, nowMs,
                limits.maxSkillsPerMesh())), (outcome, failure) -> {
            if (failure != null) {
                storageFailed(mesh, from, in, failure);
                return;
            }
            switch (outcome) {
                case SHARED -> {
                    mesh.audit(memberId, new AuditEvent.SkillShared(skill.name()));
                    from.reply(ack(skill.name(), "shared", in));
                }
                case FORBIDDEN -> reject(mesh, from, in, "forbidden",
                        "only the author of skill \"" + skill.name() + "\" or an admin can overwrite it");
                case LIMIT_REACHED -> reject(mesh, from, in, "limit_exceeded",
                        "this mesh has " + limits.maxSkillsPerMesh() + " skills (the limit)");
            }
        });
    }

    /** {@code get_skill {name}} → {@code skill_data {skill: {...} | null}}. */
    private void get(MeshContext mesh, PeerSession from, Inbound in) {
        String name;
        try {
            name = JsonFields.requiredString(in.body(), "name", MAX_NAME_CHARS);
        } catch (JsonFields.BadField e) {
            reject(mesh, from, in, "bad_request", e.getMessage());
            return;
        }
        mesh.onLoop(mesh.storage(() -> store.get(mesh.meshId(), name)), (skill, failure) -> {
            if (failure != null) {
                storageFailed(mesh, from, in, failure);
                return;
            }
            JsonOut o = Frames.beginReply("skill_data").name("skill");
            if (skill == null) {
                o.nullValue();
            } else {
                o.beginObject().field("name", skill.name()).field("description", skill.description())
                        .field("instructions", skill.instructions()).name("tags");
                strings(o, skill.tags());
                o.field("author", skill.author()).name("manifest");
                if (skill.manifestJson() == null) {
                    o.nullValue();
                } else {
                    o.value(JsonFields.parse(skill.manifestJson())); // exactly the text that was shared
                }
                o.field("createdAt", AuditChain.isoMillis(skill.createdAtMs())).endObject();
            }
            from.reply(Frames.endReply(o, in));
        });
    }

    /** {@code list_skills {query?}} → {@code skill_list {skills}}, by name. */
    private void list(MeshContext mesh, PeerSession from, Inbound in) {
        String query;
        try {
            query = JsonFields.optionalString(in.body(), "query");
        } catch (JsonFields.BadField e) {
            reject(mesh, from, in, "bad_request", e.getMessage());
            return;
        }
        String filter = query == null || query.isEmpty() ? null : query;
        mesh.onLoop(mesh.storage(() -> store.list(mesh.meshId(), filter, limits.maxSkillsPerMesh())),
                (skills, failure) -> {
                    if (failure != null) {
                        storageFailed(mesh, from, in, failure);
                        return;
                    }
                    JsonOut o = new JsonOut(128 + 192 * skills.size()).beginObject().field("type", "skill_list")
                            .name("skills").beginArray();
                    for (SkillStore.Summary s : skills) {
                        o.beginObject().field("name", s.name()).field("description", s.description()).name("tags");
                        strings(o, s.tags());
                        o.field("author", s.author()).field("createdAt", AuditChain.isoMillis(s.createdAtMs()))
                                .endObject();
                    }
                    o.endArray();
                    from.reply(Frames.endReply(o, in));
                });
    }

    /** {@code remove_skill {name}} → {@code skill_ack "removed" | "not_found"}. */
    private void remove(MeshContext mesh, PeerSession from, Inbound in) {
        String name;
        try {
            name = JsonFields.requiredString(in.body(), "name", MAX_NAME_CHARS);
        } catch (JsonFields.BadField e) {
            reject(mesh, from, in, "bad_request", e.getMessage());
            return;
        }
        String memberId = from.lease().member().id();
        mesh.onLoop(mesh.storage(() -> store.remove(mesh.meshId(), memberId, name)), (outcome, failure) -> {
            if (failure != null) {
                storageFailed(mesh, from, in, failure);
                return;
            }
            switch (outcome) {
                case REMOVED -> {
                    mesh.audit(memberId, new AuditEvent.SkillRemoved(name));
                    from.reply(ack(name, "removed", in));
                }
                case NOT_FOUND -> from.reply(ack(name, "not_found", in));
                case FORBIDDEN -> reject(mesh, from, in, "forbidden",
                        "only the author of skill \"" + name + "\" or an admin can remove it");
            }
        });
    }

    private static byte[] ack(String name, String action, Inbound in) {
        return Frames.endReply(Frames.beginReply("skill_ack").field("name", name).field("action", action), in);
    }

    private static void strings(JsonOut o, List<String> values) {
        o.beginArray();
        for (String v : values) {
            o.value(v);
        }
        o.endArray();
    }

    private static void reject(MeshContext mesh, PeerSession from, Inbound in, String code, String message) {
        mesh.error(from, in, code, message); // logs the one line of the refusal
    }

    private static void storageFailed(MeshContext mesh, PeerSession from, Inbound in, Throwable failure) {
        // the failure's class only: a driver message may quote values
        log.warn("conn {}: {} failed in mesh {}: {}", from.connection().id(), in.rawType, mesh.meshId(),
                failure.getClass().getSimpleName());
        mesh.error(from, in, "internal_error", "skills are unavailable, try again");
    }
}
