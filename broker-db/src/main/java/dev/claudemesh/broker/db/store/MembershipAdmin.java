package dev.claudemesh.broker.db.store;

import dev.claudemesh.broker.core.Ids;
import dev.claudemesh.broker.core.model.GroupRole;
import dev.claudemesh.broker.core.model.Member;
import dev.claudemesh.broker.core.model.MemberRole;
import dev.claudemesh.broker.core.model.Mesh;
import dev.claudemesh.broker.db.Database;
import org.jooq.DSLContext;

import javax.sql.DataSource;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.LongSupplier;
import java.util.regex.Pattern;

/**
 * Membership administration (DESIGN "Membership administration", PROTOCOL §9): the one implementation of what an
 * operator does to meshes, members and invites, used by the admin HTTP routes and the jar's subcommands alike, so
 * that both create exactly the same rows. A mesh is created together with its owner key pair and root key, in one
 * transaction. Roles and bans (PROTOCOL-MESH §9) are {@link MemberModeration}'s: the operator's revoke and a mesh
 * admin's {@code ban} over the WebSocket are one path there.
 *
 * <p>Inputs are checked here as well as by the callers (which check first, to answer in their own words):
 * {@link IllegalArgumentException} for a bad value (HTTP 400, CLI exit 2 or 1), {@link NotFoundException} for an
 * unknown mesh or invite (404), {@link DuplicateException} for a taken slug or member key (409),
 * {@link MeshKeys.KeyUnavailableException} when the owner secret cannot be decrypted (500); database failures
 * surface as jOOQ's {@code DataAccessException} (503).</p>
 *
 * <p>What a running broker must do after a change — invalidate its member cache, close a revoked member's sockets,
 * move enrolment audit events into the chain — is the {@link Listener}'s job, called after the commit; the jar's
 * subcommands, which run in another process, pass {@link Listener#NONE}.</p>
 *
 * <p>Blocking JDBC: never call it on an event loop. Thread-safe; holds the encryption key (never logged) and does
 * not own the {@link DataSource}.</p>
 */
public final class MembershipAdmin {

    /**
     * A slug: 1 to 64 characters of lowercase letters, digits and dashes, starting with a letter or digit. Slugs go
     * into invite payloads and URLs, so they stay URL- and shell-safe.
     */
    public static final Pattern SLUG = Pattern.compile("[a-z0-9][a-z0-9-]{0,63}");
    /** What {@link #SLUG} accepts, in words, for error messages. */
    public static final String SLUG_RULE = "1-64 characters of a-z, 0-9 and '-', starting with a letter or digit";
    /** {@code via} of changes made through the admin HTTP API, in audit events. */
    public static final String VIA_ADMIN_API = "admin_api";
    /** {@code via} of changes made by the jar's subcommands. */
    public static final String VIA_CLI = "cli";

    private static final Pattern HEX64 = Pattern.compile("[0-9a-fA-F]{64}");

    /** Effects of a committed change on a running broker. Called on the calling thread, after the commit. */
    public interface Listener {
        /** No running broker to tell (the jar's subcommands). */
        Listener NONE = new Listener() {
        };

        /** A member was added, or its ban lifted: forget a cached lookup of its key. */
        default void memberAdded(Member member) {
        }

        /** A member was revoked (now or before): refuse its next hello, close its sockets 4002. */
        default void memberRevoked(Member member) {
        }

        /** Audit events of {@code meshId} wait in the {@link AuditOutbox}: move them into the chain. */
        default void auditEventsQueued(String meshId) {
        }

        /**
         * The mesh was deleted: end its leases, drop its state and its members' cached lookups, and return once the
         * broker no longer writes for it (its batched writes committed), so that the rows they left can be swept.
         */
        default void meshDeleted(AdminListing.DeletedMesh deleted) {
        }
    }

    /**
     * A mesh just created, with its owner public key (its secret and the root key stay in {@code mesh.mesh_key}).
     *
     * @param mesh        id, name, slug
     * @param ownerPubkey 64 lowercase hex
     */
    public record CreatedMesh(Mesh mesh, String ownerPubkey) {
        public CreatedMesh {
            Objects.requireNonNull(mesh, "mesh");
            Objects.requireNonNull(ownerPubkey, "ownerPubkey");
        }
    }

    /**
     * What an invite allows; validated at construction (no database needed).
     *
     * @param maxUses    1..{@link InviteRepository#MAX_USES_LIMIT}
     * @param expiresInS 1..{@link InviteRepository#MAX_EXPIRES_IN_S}
     * @param role       one of {@link InviteRepository#ROLES}
     * @param preset     what members it enrols get; {@link InvitePreset#NONE} for nothing
     */
    public record InviteOptions(int maxUses, long expiresInS, String role, InvitePreset preset) {
        /** Defaults: one use, seven days, role {@code member}. */
        public static final int DEFAULT_MAX_USES = 1;
        public static final long DEFAULT_EXPIRES_IN_S = 7L * 24 * 3600;
        public static final String DEFAULT_ROLE = "member";

        public InviteOptions {
            if (maxUses < 1 || maxUses > InviteRepository.MAX_USES_LIMIT) {
                throw new IllegalArgumentException("maxUses: " + maxUses + " (expected: 1.."
                        + InviteRepository.MAX_USES_LIMIT + ")");
            }
            if (expiresInS < 1 || expiresInS > InviteRepository.MAX_EXPIRES_IN_S) {
                throw new IllegalArgumentException("expiresInS: " + expiresInS + " (expected: 1.."
                        + InviteRepository.MAX_EXPIRES_IN_S + ")");
            }
            if (!InviteRepository.ROLES.contains(role)) {
                throw new IllegalArgumentException("role: " + role + " (expected: member or admin)");
            }
            preset = preset == null ? InvitePreset.NONE : preset;
        }

        /** The defaults. */
        public static InviteOptions defaults() {
            return new InviteOptions(DEFAULT_MAX_USES, DEFAULT_EXPIRES_IN_S, DEFAULT_ROLE, InvitePreset.NONE);
        }
    }

    private final DSLContext dsl;
    private final AdminRepository repository;
    private final MeshKeys keys;
    private final InviteRepository invites;
    private final String via;
    private final LongSupplier nowMs;
    private final Listener listener;
    private final MemberModeration moderation;
    private final AdminQueries queries;

    /**
     * Creates the service over {@code dataSource}.
     *
     * @param encryptionKeyHex {@code BROKER_ENCRYPTION_KEY} (64 hex), or null to store owner secrets in plaintext
     * @param via              who makes the changes, for audit events: {@link #VIA_ADMIN_API} or {@link #VIA_CLI}
     * @param nowMs            the clock of audit events and invite expiry
     * @param listener         told about committed changes; {@link Listener#NONE} outside a running broker
     */
    public MembershipAdmin(DataSource dataSource, String encryptionKeyHex, String via, LongSupplier nowMs,
                           Listener listener) {
        Objects.requireNonNull(dataSource, "dataSource");
        this.dsl = Database.dsl(dataSource);
        this.repository = new AdminRepository(dataSource);
        this.keys = new MeshKeys(dataSource, encryptionKeyHex);
        this.invites = new InviteRepository(dataSource, keys);
        this.via = Objects.requireNonNull(via, "via");
        this.nowMs = Objects.requireNonNull(nowMs, "nowMs");
        this.listener = Objects.requireNonNull(listener, "listener");
        this.moderation = new MemberModeration(dsl, via, nowMs, listener);
        this.queries = new AdminQueries(dataSource);
    }

    private MembershipAdmin(MembershipAdmin base, Listener listener) {
        this.dsl = base.dsl;
        this.repository = base.repository;
        this.keys = base.keys;
        this.invites = base.invites;
        this.via = base.via;
        this.nowMs = base.nowMs;
        this.listener = Objects.requireNonNull(listener, "listener");
        this.moderation = new MemberModeration(dsl, via, nowMs, listener);
        this.queries = base.queries;
    }

    /** The same service (same stores, same {@code via} and clock) telling {@code listener} about its changes. */
    public MembershipAdmin withListener(Listener listener) {
        return new MembershipAdmin(this, listener);
    }

    /** The meshes' owner keys this service signs invites with. */
    public MeshKeys keys() {
        return keys;
    }

    /** Roles and bans, telling this service's listener (a member's {@code ban} over the WebSocket goes here). */
    public MemberModeration moderation() {
        return moderation;
    }

    /** The invite store (for {@code POST /join}, which members call, not administrators). */
    public InviteRepository invites() {
        return invites;
    }

    /** True when {@code slug} matches {@link #SLUG}. */
    public static boolean validSlug(String slug) {
        return slug != null && SLUG.matcher(slug).matches();
    }

    /** The member key as 64 lowercase hex, or null when {@code pubkey} is not 64 hex characters. */
    public static String canonicalPubkey(String pubkey) {
        return pubkey != null && HEX64.matcher(pubkey).matches() ? pubkey.toLowerCase(Locale.ROOT) : null;
    }

    /**
     * Creates a mesh and, in the same transaction, its owner ed25519 key pair and root key (the secret encrypted
     * under the encryption key when one is configured).
     *
     * @throws IllegalArgumentException when {@code name} is blank or {@code slug} is not valid
     * @throws DuplicateException       when {@code slug} is taken
     */
    public CreatedMesh createMesh(String name, String slug) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(slug, "slug");
        if (name.isBlank()) {
            throw new IllegalArgumentException("name: blank (expected: the mesh's display name)");
        }
        if (!validSlug(slug)) {
            throw new IllegalArgumentException("slug: '" + slug + "' (expected: " + SLUG_RULE + ")");
        }
        return dsl.transactionResult(cfg -> {
            DSLContext tx = cfg.dsl();
            Mesh mesh = AdminRepository.insertMesh(tx, name, slug);
            MeshKeys.Keys k = keys.ensure(tx, mesh.id());
            Arrays.fill(k.ownerSeed(), (byte) 0);
            return new CreatedMesh(mesh, k.ownerPubkey());
        });
    }

    /** The mesh {@code meshId}, if it exists (an id of the wrong shape does not). */
    public Optional<Mesh> findMesh(String meshId) {
        return Ids.isId(meshId) ? repository.findMesh(meshId) : Optional.empty();
    }

    /** Every mesh with its member counts, oldest first. */
    public List<AdminListing.MeshRow> listMeshes() {
        return queries.meshes();
    }

    /** The mesh {@code meshId} with its member counts, if it exists. */
    public Optional<AdminListing.MeshRow> meshRow(String meshId) {
        return Ids.isId(meshId) ? queries.mesh(meshId) : Optional.empty();
    }

    /** The mesh's members (revoked ones too), oldest first; empty when there is no such mesh. */
    public Optional<List<AdminListing.MemberRow>> listMembers(String meshId) {
        return findMesh(meshId).map(m -> queries.members(meshId));
    }

    /** Its invites, newest first; empty when there is no such mesh. */
    public Optional<List<AdminListing.InviteRow>> listInvites(String meshId) {
        return findMesh(meshId).map(m -> queries.invites(meshId));
    }

    /**
     * Deletes the mesh and everything of it in one transaction ({@link AdminQueries}), tells the listener (a running
     * broker ends its leases and stops writing for it), then sweeps what the writer committed meanwhile. Not audited
     * (the chain goes with the mesh). Empty when there is no such mesh.
     */
    public Optional<AdminListing.DeletedMesh> deleteMesh(String meshId) {
        if (!Ids.isId(meshId)) {
            return Optional.empty();
        }
        Optional<AdminListing.DeletedMesh> deleted = queries.deleteMesh(meshId);
        deleted.ifPresent(d -> {
            listener.meshDeleted(d);
            queries.deleteWriterRows(meshId);
        });
        return deleted;
    }

    /**
     * Adds a member with message mode {@code push}, then tells the listener.
     *
     * @param pubkey        64 hex (stored lowercase)
     * @param roleTag       nullable
     * @param defaultGroups nullable (none)
     * @param peerGrants    nullable (defaults for everyone); keys are lowercased
     * @throws NotFoundException        when the mesh does not exist
     * @throws DuplicateException       when the mesh already has a member with this key (revoked or not)
     * @throws IllegalArgumentException when {@code pubkey} is not 64 hex or {@code displayName} is blank
     */
    public Member addMember(String meshId, String pubkey, String displayName, String roleTag,
                            List<GroupRole> defaultGroups, Map<String, List<String>> peerGrants) {
        return addMember(meshId, pubkey, displayName, roleTag, defaultGroups, peerGrants, MemberRole.MEMBER);
    }

    /**
     * {@link #addMember(String, String, String, String, List, Map)} with a role: {@link MemberRole#ADMIN} makes a
     * member that may moderate the mesh and read its audit log (the first admin is the mesh's owner).
     */
    public Member addMember(String meshId, String pubkey, String displayName, String roleTag,
                            List<GroupRole> defaultGroups, Map<String, List<String>> peerGrants, MemberRole role) {
        requireMesh(meshId);
        String key = canonicalPubkey(pubkey);
        if (key == null) {
            throw new IllegalArgumentException("pubkey: expected 64 hex chars (32 bytes)");
        }
        Member m = repository.addMember(meshId, key, displayName, roleTag, defaultGroups, peerGrants, role);
        listener.memberAdded(m);
        return m;
    }

    /**
     * Revokes (bans) a member — the path a mesh admin's {@code ban} takes too ({@link MemberModeration}): audited
     * {@code member_banned}, then the listener is told (also when it already was revoked: its sockets close).
     *
     * @return the member as it is now; empty when the mesh has no such member
     * @throws ConflictException when it is the mesh's last admin (make another member admin first)
     */
    public Optional<Member> revokeMember(String meshId, String memberId) {
        if (!Ids.isId(meshId) || !Ids.isId(memberId)) {
            return Optional.empty();
        }
        return moderation.revoke(meshId, memberId);
    }

    /**
     * Lifts a member's ban (audited {@code member_unbanned}); idempotent.
     *
     * @return the member as it is now; empty when the mesh has no such member
     */
    public Optional<Member> unbanMember(String meshId, String memberId) {
        if (!Ids.isId(meshId) || !Ids.isId(memberId)) {
            return Optional.empty();
        }
        return moderation.unbanById(meshId, memberId);
    }

    /**
     * Sets a member's role (audited {@code member_role_changed} when it changes).
     *
     * @return the member as it is now; empty when the mesh has no such member
     * @throws ConflictException when it would demote the mesh's last admin
     */
    public Optional<Member> setRole(String meshId, String memberId, MemberRole role) {
        Objects.requireNonNull(role, "role");
        if (!Ids.isId(meshId) || !Ids.isId(memberId)) {
            return Optional.empty();
        }
        return moderation.setRole(meshId, memberId, role);
    }

    /** The role of an active member; null when there is none (or it is banned). */
    public MemberRole roleOf(String meshId, String memberId) {
        return Ids.isId(meshId) && Ids.isId(memberId) ? moderation.roleOf(meshId, memberId) : null;
    }

    /** Re-hashes the mesh's audit chain ({@link AdminRepository#verifyAudit}); {@link NotFoundException} if none. */
    public AuditVerification verifyAudit(String meshId) {
        if (findMesh(meshId).isEmpty()) {
            throw new NotFoundException("mesh not found: " + meshId);
        }
        return repository.verifyAudit(meshId);
    }

    /**
     * Creates and signs an invite ({@code invite_created} is queued for the chain, the listener told).
     *
     * @param brokerUrl the ws(s) URL put in the payload
     * @throws NotFoundException               when the mesh does not exist
     * @throws MeshKeys.KeyUnavailableException when the owner secret cannot be decrypted
     */
    public CreatedInvite createInvite(String meshId, String brokerUrl, InviteOptions options) {
        requireMesh(meshId);
        Objects.requireNonNull(brokerUrl, "brokerUrl");
        Objects.requireNonNull(options, "options");
        CreatedInvite invite = invites.create(meshId, brokerUrl, options.maxUses(), options.expiresInS(),
                options.role(), options.preset(), via, nowMs.getAsLong());
        listener.auditEventsQueued(meshId);
        return invite;
    }

    /**
     * Revokes an invite; idempotent.
     *
     * @return true when this call revoked it ({@code invite_revoked} queued, the listener told), false when it
     *         already was revoked
     * @throws NotFoundException when the mesh has no such invite
     */
    public boolean revokeInvite(String meshId, String inviteId) {
        if (!Ids.isId(meshId) || !Ids.isId(inviteId)) {
            throw new NotFoundException("invite not found: " + inviteId + " in mesh " + meshId);
        }
        boolean now = invites.revoke(meshId, inviteId, via, nowMs.getAsLong());
        if (now) {
            listener.auditEventsQueued(meshId);
        }
        return now;
    }

    private static void requireMesh(String meshId) {
        Objects.requireNonNull(meshId, "meshId");
        if (!Ids.isId(meshId)) {
            throw new NotFoundException("mesh not found: " + meshId);
        }
    }
}
