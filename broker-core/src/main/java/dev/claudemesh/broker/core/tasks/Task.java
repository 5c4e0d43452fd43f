package dev.claudemesh.broker.core.tasks;

import java.util.List;
import java.util.Objects;

/**
 * One task as {@code task_list} shows it (PROTOCOL-MESH §6.4). Immutable.
 *
 * @param id          the task id (32 alnum)
 * @param title       its title
 * @param assignee    free text, or null
 * @param claimedBy   the claimer's member name, or null
 * @param status      {@code open}, {@code claimed} or {@code done} (text, as stored)
 * @param priority    free text ({@code normal} unless given)
 * @param createdBy   the creator's member name, or null
 * @param tags        its tags (copied)
 * @param createdAtMs when it was created, epoch milliseconds
 */
public record Task(String id, String title, String assignee, String claimedBy, String status, String priority,
                   String createdBy, List<String> tags, long createdAtMs) {
    public Task {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(title, "title");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(priority, "priority");
        tags = List.copyOf(tags);
    }
}
