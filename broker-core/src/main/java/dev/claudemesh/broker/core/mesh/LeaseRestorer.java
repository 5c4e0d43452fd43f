package dev.claudemesh.broker.core.mesh;

import dev.claudemesh.broker.core.model.Member;

import java.util.concurrent.CompletionStage;

/**
 * A service's per-mesh state that restores a member's saved peer state into its next control-plane lease
 * (PROTOCOL-MESH §2.2). When one is installed (at most one per broker: the presence service), a {@code hello} that
 * will register a new lease — not a reattach — first {@link #load}s the member's saved state; the core then
 * registers the lease with it: the groups (when the hello named none), visibility and profile are applied, the
 * {@code hello_ack} carries {@code restored}, {@code lastSummary}, {@code lastSeenAt}, {@code restoredGroups} and
 * {@code restoredStats}, and the other members hear {@code peer_returned} when the member had no other lease in the
 * mesh. A {@code session_hello} never restores.
 *
 * <p><b>Thread:</b> {@link #load} is called on the mesh loop and must not block; its stage may complete on any
 * thread (the core continues on the loop). A failed stage registers the lease as if nothing was saved.</p>
 */
public interface LeaseRestorer {

    /** The saved state of {@code member} in this mesh; completes with null when there is none. */
    CompletionStage<SavedPeerState> load(Member member);
}
