package dev.claudemesh.broker.core.presence;

import dev.claudemesh.broker.core.envelope.Inbound;
import dev.claudemesh.broker.core.envelope.JsonNode;
import dev.claudemesh.broker.core.mesh.Lease;
import dev.claudemesh.broker.core.mesh.MessageHandler;
import dev.claudemesh.broker.core.mesh.PeerSession;
import dev.claudemesh.broker.core.port.Fanout;

/**
 * {@code set_visible} {@code {"visible":false}} (PROTOCOL-MESH §3.2): hides or shows the caller's lease, pushes
 * {@code peer_hidden} / {@code peer_visible} {@code {name, pubkey}} to every other live lease (the caller's siblings
 * included) and answers ack-shaped. A hidden lease is left out of other members' {@code list_peers} and of multicast;
 * DMs, system events and everything else still reach it. {@code visible} must be a JSON boolean: anything else is
 * {@code bad_request} (§16 defect 13 [fix]; the original hid the lease for any falsy value and crashed silently on
 * none). Stateless; runs on the mesh loop.
 */
final class SetVisibleHandler implements MessageHandler<PresenceState> {

    @Override
    public void handle(PresenceState state, PeerSession from, Inbound in) {
        if (!(in.body().get("visible") instanceof JsonNode.BooleanNode b)) {
            state.mesh.error(from, in, "bad_request", "set_visible needs visible: true or false");
            return;
        }
        Lease l = from.lease();
        l.visible(b.value());
        byte[] event = state.mesh.systemEvent(b.value() ? "peer_visible" : "peer_hidden",
                o -> o.beginObject().field("name", l.displayName()).field("pubkey", l.routingKey()).endObject());
        Fanout out = state.mesh.loop().fanout();
        for (Lease other : state.mesh.leases().all()) {
            if (other != l) {
                state.mesh.send(out, other, event);
            }
        }
        out.finish();
        from.reply(AckShaped.of(in));
    }
}
