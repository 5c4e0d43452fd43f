package dev.claudemesh.broker.db.topic;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.claudemesh.broker.core.audit.AuditChain;
import dev.claudemesh.broker.core.topic.TopicStore;
import dev.claudemesh.broker.core.topic.Visibility;
import org.jooq.Field;
import org.jooq.JSONB;
import org.jooq.Record;

import java.io.IOException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

import static dev.claudemesh.broker.db.jooq.mesh.Tables.MEMBER;
import static dev.claudemesh.broker.db.jooq.mesh.Tables.TOPIC;
import static dev.claudemesh.broker.db.jooq.mesh.Tables.TOPIC_MESSAGE;

/** Conversions between rows and the topic ports' records, shared by this package. Stateless. */
final class TopicRows {

    /** The sender name of a message whose member is gone. */
    static final String UNKNOWN = "unknown";
    private static final JsonFactory JSON = new JsonFactory();

    /** The columns {@link #message} reads: {@code topic_message} left-joined with its sender {@code member}. */
    static final List<Field<?>> MESSAGE_FIELDS = List.of(TOPIC_MESSAGE.ID, TOPIC_MESSAGE.TOPIC_ID,
            TOPIC_MESSAGE.SENDER_MEMBER_ID, MEMBER.PEER_PUBKEY, TOPIC_MESSAGE.SENDER_SESSION_PUBKEY,
            MEMBER.DISPLAY_NAME, TOPIC_MESSAGE.NONCE, TOPIC_MESSAGE.CIPHERTEXT, TOPIC_MESSAGE.BODY_VERSION,
            TOPIC_MESSAGE.REPLY_TO_ID, TOPIC_MESSAGE.CREATED_AT);

    private TopicRows() {
    }

    static OffsetDateTime time(long epochMs) {
        return OffsetDateTime.ofInstant(Instant.ofEpochMilli(epochMs), ZoneOffset.UTC);
    }

    static long millis(OffsetDateTime t) {
        return t.toInstant().toEpochMilli();
    }

    static Long millisOrNull(OffsetDateTime t) {
        return t == null ? null : millis(t);
    }

    static TopicStore.Topic topic(Record r) {
        Visibility v = Visibility.parse(r.get(TOPIC.VISIBILITY));
        return new TopicStore.Topic(r.get(TOPIC.ID), r.get(TOPIC.MESH_ID), r.get(TOPIC.NAME), r.get(TOPIC.DESCRIPTION),
                v == null ? Visibility.PUBLIC : v, r.get(TOPIC.ENCRYPTED_KEY_PUBKEY), millis(r.get(TOPIC.CREATED_AT)),
                r.get(TOPIC.ARCHIVED_AT) != null);
    }

    static TopicStore.Message message(Record r) {
        String name = r.get(MEMBER.DISPLAY_NAME);
        return new TopicStore.Message(r.get(TOPIC_MESSAGE.ID), r.get(TOPIC_MESSAGE.TOPIC_ID),
                r.get(TOPIC_MESSAGE.SENDER_MEMBER_ID), r.get(MEMBER.PEER_PUBKEY),
                r.get(TOPIC_MESSAGE.SENDER_SESSION_PUBKEY), name == null ? UNKNOWN : name, r.get(TOPIC_MESSAGE.NONCE),
                r.get(TOPIC_MESSAGE.CIPHERTEXT), r.get(TOPIC_MESSAGE.BODY_VERSION), r.get(TOPIC_MESSAGE.REPLY_TO_ID),
                millis(r.get(TOPIC_MESSAGE.CREATED_AT)));
    }

    static List<TopicStore.Message> messages(Iterable<? extends Record> rows) {
        List<TopicStore.Message> out = new ArrayList<>();
        for (Record r : rows) {
            out.add(message(r));
        }
        return out;
    }

    /** A JSON array of strings. */
    static JSONB stringArray(List<String> values) {
        return JSONB.valueOf(AuditChain.canonicalJson(values));
    }

    /** The strings of a JSON array (other items skipped); null for SQL or JSON null. */
    static List<String> strings(JSONB json) {
        if (json == null || json.data() == null) {
            return null;
        }
        try (JsonParser p = JSON.createParser(json.data())) {
            if (p.nextToken() != JsonToken.START_ARRAY) {
                return null;
            }
            List<String> out = new ArrayList<>();
            JsonToken t;
            while ((t = p.nextToken()) != null && t != JsonToken.END_ARRAY) {
                if (t == JsonToken.VALUE_STRING) {
                    out.add(p.getText());
                } else {
                    p.skipChildren();
                }
            }
            return out;
        } catch (IOException e) {
            return null;
        }
    }
}
