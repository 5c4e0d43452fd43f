package dev.claudemesh.broker.core.mesh;

/**
 * What became of a send the broker made on a member's behalf ({@link MeshContext#sendOnBehalf}): exactly one of the
 * two methods is called, once. <b>Thread:</b> the mesh loop.
 */
public interface SendOutcome {

    /**
     * The send went through the core path: a DM once its queue row is committed (it is then durable and will be
     * delivered, or expire), a multicast once it was pushed to the live leases it reaches.
     */
    void accepted(String messageId);

    /**
     * The send was refused, and nothing was queued or pushed; {@code error} is the text a socket's failed ack
     * would carry (PROTOCOL §4.1).
     */
    void refused(SendRejection reason, String error);
}
