package dev.claudemesh.broker.core.vault;

import dev.claudemesh.broker.core.Ids;
import dev.claudemesh.broker.core.audit.AuditChain;
import dev.claudemesh.broker.core.envelope.Frames;
import dev.claudemesh.broker.core.envelope.Inbound;
import dev.claudemesh.broker.core.envelope.JsonFields;
import dev.claudemesh.broker.core.envelope.JsonNode;
import dev.claudemesh.broker.core.envelope.JsonOut;
import dev.claudemesh.broker.core.mesh.MeshContext;
import dev.claudemesh.broker.core.mesh.MeshService;
import dev.claudemesh.broker.core.mesh.PeerSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Objects;

/**
 * The vault (PROTOCOL-MESH §13): {@code vault_set}, {@code vault_get}, {@code vault_list}, {@code vault_delete}, each
 * scoped to the caller's member in the caller's mesh (a member never sees or deletes another member's entries). Wire
 * fields are snake_case. The sealed texts ({@code ciphertext}, {@code nonce}, {@code sealed_key}) are stored as given
 * and only ever written back to their owner; no log line, error message or audit event holds them.
 *
 * <p>Beyond the original: a missing or ill-typed field is {@code bad_request} (§0.3 [fix]); at most
 * {@link Limits#maxEntriesPerMember} entries per member and mesh ({@code limit_exceeded}) of at most
 * {@link Limits#maxEntryBytes} each ({@code payload_too_large}); a database failure is {@code vault_error} with a
 * fixed message instead of the database's text, which could quote the values being written.</p>
 *
 * <p>Stateless and thread-safe; the per-mesh state is the mesh's {@link MeshContext}. Handlers run on the mesh
 * loop.</p>
 */
public final class VaultService implements MeshService<MeshContext> {

    private static final Logger log = LoggerFactory.getLogger(VaultService.class);
    /** Longest key, in characters. */
    static final int MAX_KEY_CHARS = 256;

    /**
     * The service's limits (settings). Immutable.
     *
     * @param maxEntriesPerMember entries one member may keep in one mesh; {@code vault_list} returns at most this many
     * @param maxEntryBytes       UTF-8 bytes of one entry's texts together (key, ciphertext, nonce, sealed key, mount
     *                            path, description)
     */
    public record Limits(int maxEntriesPerMember, int maxEntryBytes) {
        public Limits {
            if (maxEntriesPerMember < 1) {
                throw new IllegalArgumentException("maxEntriesPerMember: " + maxEntriesPerMember + " (expected: > 0)");
            }
            if (maxEntryBytes < 1) {
                throw new IllegalArgumentException("maxEntryBytes: " + maxEntryBytes + " (expected: > 0)");
            }
        }
    }

    private final VaultStore store;
    private final Limits limits;

    public VaultService(VaultStore store, Limits limits) {
        this.store = Objects.requireNonNull(store, "store");
        this.limits = Objects.requireNonNull(limits, "limits");
    }

    @Override
    public String name() {
        return "vault";
    }

    @Override
    public void registerHandlers(Registrar<MeshContext> r) {
        r.handle("vault_set", this::set);
        r.handle("vault_get", this::get);
        r.handle("vault_list", this::list);
        r.handle("vault_delete", this::delete);
    }

    @Override
    public MeshContext createMeshState(MeshContext mesh) {
        return mesh;
    }

    /**
     * {@code vault_set {key, ciphertext, nonce, sealed_key, entry_type?, mount_path?, description?}} →
     * {@code vault_ack {key, action:"stored"}}.
     */
    private void set(MeshContext mesh, PeerSession from, Inbound in) {
        JsonNode.ObjectNode body = in.body();
        VaultStore.Entry entry;
        try {
            String key = JsonFields.requiredString(body, "key", MAX_KEY_CHARS);
            String ciphertext = JsonFields.requiredText(body, "ciphertext");
            String nonce = JsonFields.requiredText(body, "nonce");
            String sealedKey = JsonFields.requiredText(body, "sealed_key");
            String type = JsonFields.optionalString(body, "entry_type");
            EntryType entryType = type == null ? EntryType.ENV : EntryType.of(type);
            if (entryType == null) {
                throw new JsonFields.BadField("entry_type must be \"env\" or \"file\"");
            }
            entry = new VaultStore.Entry(key, ciphertext, nonce, sealedKey, entryType,
                    JsonFields.optionalString(body, "mount_path"), JsonFields.optionalString(body, "description"), 0);
        } catch (JsonFields.BadField e) {
            reject(mesh, from, in, "bad_request", e.getMessage());
            return;
        }
        long bytes = JsonFields.utf8Length(entry.key()) + JsonFields.utf8Length(entry.ciphertext())
                + JsonFields.utf8Length(entry.nonce()) + JsonFields.utf8Length(entry.sealedKey())
                + JsonFields.utf8Length(entry.mountPath()) + JsonFields.utf8Length(entry.description());
        if (bytes > limits.maxEntryBytes()) {
            reject(mesh, from, in, "payload_too_large", "a vault entry must be at most " + limits.maxEntryBytes()
                    + " bytes");
            return;
        }
        String memberId = from.lease().member().id();
        long nowMs = mesh.nowMs();
        String newId = Ids.newId(nowMs);
        mesh.onLoop(mesh.storage(() -> store.set(mesh.meshId(), memberId, newId, entry, nowMs,
                limits.maxEntriesPerMember())), (stored, failure) -> {
            if (failure != null) {
                storageFailed(mesh, from, in, failure);
            } else if (!stored) {
                reject(mesh, from, in, "limit_exceeded",
                        "you have " + limits.maxEntriesPerMember() + " vault entries in this mesh (the limit)");
            } else {
                from.reply(ack(entry.key(), "stored", in));
            }
        });
    }

    /** {@code vault_get {keys}} → {@code vault_get_result {entries}} with the sealed texts, the caller's only. */
    private void get(MeshContext mesh, PeerSession from, Inbound in) {
        List<String> keys;
        try {
            if (!in.body().has("keys")) {
                throw new JsonFields.BadField("keys must be an array of strings");
            }
            keys = JsonFields.stringArray(in.body(), "keys", limits.maxEntriesPerMember());
        } catch (JsonFields.BadField e) {
            reject(mesh, from, in, "bad_request", e.getMessage());
            return;
        }
        String memberId = from.lease().member().id();
        mesh.onLoop(mesh.storage(() -> keys.isEmpty() ? List.<VaultStore.Entry>of()
                : store.get(mesh.meshId(), memberId, keys)), (entries, failure) -> {
            if (failure != null) {
                storageFailed(mesh, from, in, failure);
                return;
            }
            long size = 128;
            for (VaultStore.Entry e : entries) {
                size += 128 + e.ciphertext().length() + e.nonce().length() + e.sealedKey().length();
            }
            JsonOut o = new JsonOut((int) Math.min(size, Integer.MAX_VALUE / 2)).beginObject()
                    .field("type", "vault_get_result").name("entries").beginArray();
            for (VaultStore.Entry e : entries) {
                o.beginObject().field("key", e.key()).field("ciphertext", e.ciphertext()).field("nonce", e.nonce())
                        .field("sealed_key", e.sealedKey()).field("entry_type", e.entryType().wire())
                        .field("mount_path", e.mountPath()).endObject();
            }
            o.endArray();
            from.reply(Frames.endReply(o, in));
        });
    }

    /** {@code vault_list} → {@code vault_list_result {entries}} without the sealed texts, the caller's only. */
    private void list(MeshContext mesh, PeerSession from, Inbound in) {
        String memberId = from.lease().member().id();
        mesh.onLoop(mesh.storage(() -> store.list(mesh.meshId(), memberId, limits.maxEntriesPerMember())),
                (entries, failure) -> {
                    if (failure != null) {
                        storageFailed(mesh, from, in, failure);
                        return;
                    }
                    JsonOut o = new JsonOut(128 + 160 * entries.size()).beginObject()
                            .field("type", "vault_list_result").name("entries").beginArray();
                    for (VaultStore.Entry e : entries) {
                        o.beginObject().field("key", e.key()).field("entry_type", e.entryType().wire())
                                .field("mount_path", e.mountPath()).field("description", e.description())
                                .field("updated_at", AuditChain.isoMillis(e.updatedAtMs())).endObject();
                    }
                    o.endArray();
                    from.reply(Frames.endReply(o, in));
                });
    }

    /** {@code vault_delete {key}} → {@code vault_ack {key, action:"deleted"|"not_found"}}. */
    private void delete(MeshContext mesh, PeerSession from, Inbound in) {
        String key;
        try {
            key = JsonFields.requiredString(in.body(), "key", MAX_KEY_CHARS);
        } catch (JsonFields.BadField e) {
            reject(mesh, from, in, "bad_request", e.getMessage());
            return;
        }
        String memberId = from.lease().member().id();
        mesh.onLoop(mesh.storage(() -> store.delete(mesh.meshId(), memberId, key)), (deleted, failure) -> {
            if (failure != null) {
                storageFailed(mesh, from, in, failure);
                return;
            }
            from.reply(ack(key, deleted ? "deleted" : "not_found", in));
        });
    }

    private static byte[] ack(String key, String action, Inbound in) {
        return Frames.endReply(Frames.beginReply("vault_ack").field("key", key).field("action", action), in);
    }

    private static void reject(MeshContext mesh, PeerSession from, Inbound in, String code, String message) {
        mesh.error(from, in, code, message); // logs the one line of the refusal
    }

    private static void storageFailed(MeshContext mesh, PeerSession from, Inbound in, Throwable failure) {
        // the failure's class only: a database message may quote the values being written
        log.warn("conn {}: {} failed in mesh {}: {}", from.connection().id(), in.rawType, mesh.meshId(),
                failure.getClass().getSimpleName());
        mesh.error(from, in, "vault_error", "the vault is unavailable, try again");
    }
}
