package dev.claudemesh.broker.core.topic;

import dev.claudemesh.broker.core.envelope.Inbound;
import dev.claudemesh.broker.core.envelope.JsonNode;
import dev.claudemesh.broker.core.mesh.Lease;
import dev.claudemesh.broker.core.mesh.RoutedSend;
import dev.claudemesh.broker.core.mesh.SendRejection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@code send} to {@code #<topicId>} (PROTOCOL-MESH §8.6 with its [fix]): the core has checked rate, size, validity
 * and idempotency; here the topic fields are read ({@code bodyVersion} 1 or 2, {@code replyToId}, {@code mentions}),
 * the message is stored (the topic must be one of the sender's mesh; a restricted one needs the sender's
 * subscription), pushed live to the other subscribers and the topic's streams, and acked with its history id. Stateless;
 * mesh loop.
 */
final class TopicSends {

    private static final Logger log = LoggerFactory.getLogger(TopicSends.class);

    private TopicSends() {
    }

    static void send(TopicMesh t, RoutedSend send) {
        Inbound in = send.request();
        JsonNode.ObjectNode b = in.body();
        int bodyVersion = 1;
        JsonNode bv = b.get("bodyVersion");
        if (bv != null && !(bv instanceof JsonNode.NullNode)) {
            if (!(bv instanceof JsonNode.NumberNode n && n.isLong() && (n.longValue() == 1 || n.longValue() == 2))) {
                send.rejected("invalid: bodyVersion must be 1 or 2");
                return;
            }
            bodyVersion = (int) ((JsonNode.NumberNode) bv).longValue();
        }
        JsonNode replyNode = b.get("replyToId");
        String replyToId = b.string("replyToId");
        if (replyNode != null && !(replyNode instanceof JsonNode.NullNode) && replyToId == null) {
            send.rejected("invalid: replyToId must be a message id");
            return;
        }
        List<String> given = new ArrayList<>();
        if (b.get("mentions") instanceof JsonNode.ArrayNode a) {
            for (JsonNode item : a.items()) {
                if (item instanceof JsonNode.StringNode s) {
                    given.add(s.value());
                }
            }
        }
        String ciphertext = new String(in.ciphertextSrc, in.ciphertextOff, in.ciphertextLen,
                StandardCharsets.US_ASCII);
        // the WebSocket path scans the body for @names even when it is v2 ciphertext, as the original does
        List<String> tokens = Mentions.tokens(given, ciphertext, true);
        Lease l = send.sender();
        String topicId = send.topicId();
        // the id the core chose (for a scheduled fire: the one the scheduler recorded; history and queue row share it)
        TopicStore.NewMessage message = new TopicStore.NewMessage(send.messageId(), t.mesh.meshId(), topicId,
                l.member().id(), l.sessionPubkey(), l.routingKey(), send.priority().wire(),
                new String(in.nonceSrc, in.nonceOff, in.nonceLen, StandardCharsets.US_ASCII), ciphertext, bodyVersion,
                replyToId,
                in.clientMessageId, tokens, send.nowMs());
        t.store(message, (posted, failure) -> {
            if (failure != null) {
                log.warn("topic send failed in mesh {}: {}", t.mesh.meshId(), failure.getClass().getSimpleName());
                send.rejected(SendRejection.INTERNAL_ERROR, "internal_error: topic history unavailable, try again");
                return;
            }
            switch (posted.status()) {
                case TOPIC_NOT_FOUND -> {
                    log.debug("send refused: topic_not_found");
                    send.rejected("bad_request: no topic " + topicId + " in this mesh");
                }
                case NOT_SUBSCRIBED -> {
                    log.debug("send refused: forbidden");
                    send.rejected(SendRejection.FORBIDDEN, "forbidden: this topic is "
                            + posted.topic().visibility().wire() + ", subscribe to send to it");
                }
                case OK -> send.accepted(posted.message().id());
            }
        });
    }
}
