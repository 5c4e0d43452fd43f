package dev.claudemesh.broker.core.unsupported;

import java.util.List;

/**
 * The features of PROTOCOL-MESH §15 this broker does not offer, with their message types and why. The
 * fire-and-forget types of §0.4 among them ({@code mcp_unregister}, {@code mcp_call_response},
 * {@code peer_file_response}, {@code peer_dir_response}) are listed in {@link #silentTypes()}: their senders do not
 * wait for a reply, and an error frame the cold-path CLI cannot match to a request would resolve an unrelated
 * pending request with an empty answer (§0.3). Immutable.
 */
public enum Feature {

    FILES("files", "they need MinIO/S3 storage", List.of("get_file", "list_files", "file_status", "delete_file",
            "grant_file_access"), List.of()),
    VECTORS("vectors", "they need Qdrant", List.of("vector_store", "vector_search", "vector_delete",
            "list_collections"), List.of()),
    GRAPH("graph", "it needs Neo4j", List.of("graph_query", "graph_execute"), List.of()),
    MESH_SQL("mesh SQL", "raw SQL from members on the broker's database is not safe to offer",
            List.of("mesh_query", "mesh_execute", "mesh_schema"), List.of()),
    MCP_REGISTRY("the peer-hosted MCP registry", "it is not implemented in this broker",
            List.of("mcp_register", "mcp_list", "mcp_call"), List.of("mcp_unregister", "mcp_call_response")),
    MCP_DEPLOY("managed MCP deployment", "it needs the runner service", List.of("mcp_deploy", "mcp_undeploy",
            "mcp_update", "mcp_logs", "mcp_scope", "mcp_schema", "mcp_catalog", "skill_deploy"), List.of()),
    WEBHOOKS("webhooks", "they are not implemented in this broker", List.of("create_webhook", "list_webhooks",
            "delete_webhook"), List.of()),
    URL_WATCHES("URL watches", "the broker does not fetch URLs on members' behalf", List.of("watch", "unwatch",
            "watch_list"), List.of()),
    PEER_FILE_RELAY("the peer file relay", "it is not implemented in this broker",
            List.of("peer_file_request", "peer_dir_request"), List.of("peer_file_response", "peer_dir_response"));

    private final String title;
    private final String why;
    private final List<String> answeredTypes;
    private final List<String> silentTypes;

    Feature(String title, String why, List<String> answeredTypes, List<String> silentTypes) {
        this.title = title;
        this.why = why;
        this.answeredTypes = answeredTypes;
        this.silentTypes = silentTypes;
    }

    /** The feature's name as the error message gives it, e.g. {@code files}. */
    public String title() {
        return title;
    }

    /** Types whose requests are answered {@code unsupported_feature}. */
    public List<String> answeredTypes() {
        return answeredTypes;
    }

    /** Fire-and-forget types: counted and logged, never answered. */
    public List<String> silentTypes() {
        return silentTypes;
    }

    /** The error message for a request of {@code type}. */
    public String message(String type) {
        return type + ": " + title + " is not supported by this broker (" + why + ")";
    }
}
