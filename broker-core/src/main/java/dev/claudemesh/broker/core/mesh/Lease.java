package dev.claudemesh.broker.core.mesh;

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
 * only the core's parts change it.
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

    MeshState mesh() {
        return mesh;
    }

    /** True when a DM of {@code priority} may be pushed to this lease now (PROTOCOL §4.3). */
    boolean deliverable(Priority priority) {
        return status == Status.IDLE || priority == Priority.NOW;
    }

    boolean inGroup(String group) {
        for (int i = 0; i < groups.size(); i++) {
            String n = groups.get(i).name();
            if (n.equals(group) || (n.length() > group.length() && n.startsWith(group) && n.charAt(group.length()) == '/')) {
                return true;
            }
        }
        return false;
    }
}
