package dev.claudemesh.broker.core.mesh;

import java.util.Objects;

/**
 * What {@link HookIndex#setStatus} did with a hook's status (PROTOCOL §6); the HTTP route turns it into its answer.
 * Immutable.
 */
public sealed interface HookResult {

    /**
     * A live lease was found and the status offered to it under the rules of PROTOCOL §5.
     *
     * @param presenceId the lease's presence id
     * @param changed    whether the lease's status is now the hook's (false when the rules kept the old one, e.g. dnd)
     */
    record Applied(String presenceId, boolean changed) implements HookResult {
        public Applied {
            Objects.requireNonNull(presenceId, "presenceId");
        }
    }

    /** No live lease matched: the status is remembered for a lease that arrives with that (pid, cwd) soon. */
    record Pending() implements HookResult {
        /** The only value needed. */
        public static final Pending INSTANCE = new Pending();
    }
}
