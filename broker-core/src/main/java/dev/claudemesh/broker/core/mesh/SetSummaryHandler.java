package dev.claudemesh.broker.core.mesh;

import dev.claudemesh.broker.core.envelope.Inbound;

/**
 * {@code set_summary} (PROTOCOL §5): sets (or, with null, clears) the lease's summary shown by {@code list_peers}. No
 * reply; {@code bad_request} when the field is missing, not a string, or longer than {@value #MAX_SUMMARY} chars.
 * Stateless.
 */
final class SetSummaryHandler implements MessageHandler<MeshCore> {

    static final int MAX_SUMMARY = 1024;

    @Override
    public void handle(MeshCore mesh, PeerSession from, Inbound in) {
        if (!in.hasSummary || "summary".equals(in.wrongTypeField)
                || (in.summary != null && in.summary.length() > MAX_SUMMARY)) {
            mesh.error(from, in, "bad_request", "summary must be a string of at most " + MAX_SUMMARY + " chars");
            return;
        }
        from.lease.summary = in.summary;
    }
}
