package dev.claudemesh.broker.core.mesh;

import dev.claudemesh.broker.core.BrokerMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Set;

/**
 * Counts and logs frames whose type no handler serves (they are answered {@code unknown_message_type}). The metric
 * label is the type when it is one of the message types of PROTOCOL-MESH (features clients may already send), else
 * {@code other}, so that the label set stays bounded whatever clients send. Every such frame is logged, one INFO line
 * with the type only (printable ASCII, at most {@value #MAX_LOGGED_CHARS} characters; never the frame). Thread-safe.
 */
final class UnknownTypes {

    private static final Logger log = LoggerFactory.getLogger(UnknownTypes.class);

    /** Label of every type outside {@link #KNOWN}, and of frames without a type. */
    static final String OTHER = "other";
    /** Longest type name written to a DEBUG line. */
    private static final int MAX_LOGGED_CHARS = 64;

    /** The client message types of PROTOCOL-MESH, some of which no service handles yet. */
    static final Set<String> KNOWN = Set.of(
            "message_status", "set_profile", "set_visible", "set_stats",
            "set_state", "get_state", "list_state", "remember", "recall", "forget",
            "create_task", "claim_task", "complete_task", "list_tasks",
            "schedule", "list_scheduled", "cancel_scheduled",
            "topic_create", "topic_list", "topic_join", "topic_leave", "topic_members", "topic_history",
            "topic_mark_read", "apikey_create", "apikey_revoke", "apikey_list",
            "kick", "disconnect", "ban", "unban", "list_bans",
            "mesh_info", "get_clock", "set_clock", "pause_clock", "resume_clock",
            "share_context", "get_context", "list_contexts", "list_skills", "get_skill", "share_skill", "remove_skill",
            "create_stream", "publish", "subscribe", "unsubscribe", "list_streams",
            "vault_set", "vault_get", "vault_list", "vault_delete", "audit_query", "audit_verify",
            "get_file", "list_files", "file_status", "delete_file", "grant_file_access",
            "vector_store", "vector_search", "vector_delete", "list_collections",
            "graph_query", "graph_execute", "mesh_query", "mesh_execute", "mesh_schema",
            "mcp_register", "mcp_unregister", "mcp_list", "mcp_call", "mcp_call_response",
            "mcp_deploy", "mcp_undeploy", "mcp_update", "mcp_logs", "mcp_scope", "mcp_schema", "mcp_catalog",
            "skill_deploy", "create_webhook", "list_webhooks", "delete_webhook", "watch", "unwatch", "watch_list",
            "peer_file_request", "peer_file_response", "peer_dir_request", "peer_dir_response");

    private final BrokerMetrics metrics;

    UnknownTypes(BrokerMetrics metrics) {
        this.metrics = metrics;
    }

    /** Counts and logs one frame of {@code rawType} (nullable). */
    void seen(String rawType, long connId) {
        String label = rawType != null && KNOWN.contains(rawType) ? rawType : OTHER;
        metrics.messageUnknown(label);
        log.info("conn {}: message type {} has no handler: answered unknown_message_type", connId, printable(rawType));
    }

    /** The type as a short, printable ASCII token for a log line. */
    static String printable(String type) {
        if (type == null) {
            return "(none)";
        }
        StringBuilder sb = new StringBuilder(Math.min(type.length(), MAX_LOGGED_CHARS) + 2).append('"');
        for (int i = 0; i < type.length() && i < MAX_LOGGED_CHARS; i++) {
            char c = type.charAt(i);
            sb.append(c >= 0x20 && c < 0x7f && c != '"' ? c : '?');
        }
        if (type.length() > MAX_LOGGED_CHARS) {
            sb.append("…");
        }
        return sb.append('"').toString();
    }
}
