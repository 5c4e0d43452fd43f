package dev.claudemesh.broker.core.mesh;

import dev.claudemesh.broker.core.envelope.JsonNode;
import dev.claudemesh.broker.core.model.GroupRole;
import dev.claudemesh.broker.core.model.Member;
import dev.claudemesh.broker.core.port.MeshLoop;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A presence lease (PROTOCOL §5): one per authenticated socket, kept through a 90 s grace after the socket
 * closes. Confined to its mesh's {@link MeshLoop}; the few fields the hook index reads from other threads
 * ({@link #cwd}, {@link #pid}, {@link #live}) are volatile. Mesh services read it through the public accessors;
 * only the core's parts change it, except the lease metadata of PROTOCOL-MESH §3 (visibility, profile, stats), which
 * the presence service sets on the mesh loop.
 */
public final class Lease {

    final String presenceId;
    final MeshState mesh;
    final Member member;
    final PeerRole peerRole;
    String sessionPubkey;
    String sessionId;
    String displayName;
    volatile Long pid;
    volatile String cwd;
    /** The cwd under which {@link HookIndex} indexed this lease (mesh loop only). */
    String indexedCwd;
    String hostname;
    String peerType;
    String channel;
    String model;
    String role;
    final List<GroupRole> groups = new ArrayList<>();
    private final List<GroupRole> groupsView = Collections.unmodifiableList(groups);
    Status status = Status.IDLE;
    StatusSource statusSource = StatusSource.TTL;
    long statusSetAtMs;
    String summary;
    /** PROTOCOL-MESH §3.2: a hidden lease is left out of other members' peer lists and of multicast. */
    boolean visible = true;
    /** PROTOCOL-MESH §3.1: {@code {avatar?, title?, bio?, capabilities?}} (empty when never set). */
    JsonNode.ObjectNode profile = JsonNode.ObjectNode.EMPTY;
    /** PROTOCOL-MESH §3.3: the last {@code set_stats} object, or null when none was reported. */
    JsonNode.ObjectNode stats;
    /** What the hello of this lease restored from the member's peer state (PROTOCOL-MESH §2.2), or null. */
    SavedPeerState restored;
    final long connectedAtMs;
    /** The socket of a live lease; null while in grace. */
    PeerSession session;
    volatile boolean live;
    MeshLoop.Cancellable graceTask;
    boolean removed;

    Lease(String presenceId, MeshState mesh, Member member, PeerRole peerRole, long connectedAtMs) {
        this.presenceId = presenceId;
        this.mesh = mesh;
        this.member = member;
        this.peerRole = peerRole;
        this.connectedAtMs = connectedAtMs;
        this.statusSetAtMs = connectedAtMs;
    }

    /**
     * A sender that is no lease of the table, for a send the broker makes on a member's behalf
     * ({@link MeshContext#sendOnBehalf}): it has the member, the session key ({@code null}: the member key) and name
     * the send goes out with, no presence and no socket, so it is never a recipient and never "the sender's own
     * socket". Used for one send, on the mesh loop.
     */
    static Lease detached(Member member, String sessionPubkey, String displayName) {
        Lease l = new Lease(null, null, member, PeerRole.SESSION, 0);
        l.sessionPubkey = sessionPubkey;
        l.displayName = displayName;
        return l;
    }

    /** The key this lease is addressed by: its session key, else its member key. */
    public String routingKey() {
        return sessionPubkey != null ? sessionPubkey : member.pubkey();
    }

    public String presenceId() {
        return presenceId;
    }

    /** The lease name: the hello's {@code displayName}, else the member's. */
    public String displayName() {
        return displayName;
    }

    /** The proven (session_hello) or claimed (hello) session key, or null. */
    public String sessionPubkey() {
        return sessionPubkey;
    }

    public String sessionId() {
        return sessionId;
    }

    public PeerRole peerRole() {
        return peerRole;
    }

    /** The lease's groups (read-only view, mesh loop only). */
    public List<GroupRole> groups() {
        return groupsView;
    }

    /** The summary set with {@code set_summary}, or null. */
    public String summary() {
        return summary;
    }

    public String meshId() {
        return mesh.meshId;
    }

    public Member member() {
        return member;
    }

    public Status status() {
        return status;
    }

    public Long pid() {
        return pid;
    }

    public String cwd() {
        return cwd;
    }

    public long connectedAtMs() {
        return connectedAtMs;
    }

    public boolean isLive() {
        return live;
    }

    /** False when the lease is hidden ({@code set_visible false}). */
    public boolean visible() {
        return visible;
    }

    /** Hides or shows the lease (mesh loop only; the presence service's {@code set_visible}). */
    public void visible(boolean visible) {
        this.visible = visible;
    }

    /** The lease's profile object, empty when none was set. */
    public JsonNode.ObjectNode profile() {
        return profile;
    }

    /** Replaces the lease's profile (mesh loop only; the presence service's {@code set_profile}). */
    public void profile(JsonNode.ObjectNode profile) {
        this.profile = profile == null ? JsonNode.ObjectNode.EMPTY : profile;
    }

    /** The lease's last reported stats object, or null. */
    public JsonNode.ObjectNode stats() {
        return stats;
    }

    /** Replaces the lease's stats (mesh loop only; the presence service's {@code set_stats}). */
    public void stats(JsonNode.ObjectNode stats) {
        this.stats = stats;
    }

    /** What this lease's hello restored from the member's saved peer state, or null (nothing saved, or not a hello). */
    public SavedPeerState restored() {
        return restored;
    }

    MeshState mesh() {
        return mesh;
    }

    /** True when a DM of {@code priority} may be pushed to this lease now (PROTOCOL §4.3). */
    boolean deliverable(Priority priority) {
        return status == Status.IDLE || priority == Priority.NOW;
    }

    /** True when the lease holds group {@code group} or a subgroup {@code group/…} (PROTOCOL §4.2). */
    public boolean inGroup(String group) {
        for (int i = 0; i < groups.size(); i++) {
            String n = groups.get(i).name();
            if (n.equals(group) || (n.length() > group.length() && n.startsWith(group) && n.charAt(group.length()) == '/')) {
                return true;
            }
        }
        return false;
    }
}
