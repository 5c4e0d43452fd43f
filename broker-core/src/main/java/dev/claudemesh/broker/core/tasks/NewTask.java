package dev.claudemesh.broker.core.tasks;

import java.util.List;
import java.util.Objects;

/**
 * A task to create (PROTOCOL-MESH §6.1): status {@code open}. Immutable.
 *
 * @param id            a fresh id
 * @param title         non-empty
 * @param assignee      free text, or null
 * @param priority      free text ({@code normal} when the request gave none)
 * @param tags          its tags (copied)
 * @param createdByName the creator's member name
 * @param createdAtMs   epoch milliseconds
 */
public record NewTask(String id, String title, String assignee, String priority, List<String> tags,
                      String createdByName, long createdAtMs) {
    public NewTask {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(title, "title");
        Objects.requireNonNull(priority, "priority");
        tags = List.copyOf(tags);
    }
}
