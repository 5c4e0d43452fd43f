package dev.claudemesh.broker.core.memory;

import java.util.List;
import java.util.Objects;

/**
 * One remembered row, as recall returns it. Immutable.
 *
 * @param id               the row id (32 alnum)
 * @param content          the remembered text
 * @param tags             its tags (copied)
 * @param rememberedBy     the member name of who remembered it; null when unknown
 * @param rememberedAtMs   when, epoch milliseconds
 */
public record Memory(String id, String content, List<String> tags, String rememberedBy, long rememberedAtMs) {
    public Memory {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(content, "content");
        tags = List.copyOf(tags);
    }
}
