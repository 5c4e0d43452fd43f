package dev.claudemesh.broker.core.unsupported;

import dev.claudemesh.broker.core.testing.ServiceHarness;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The message types of PROTOCOL-MESH §15 get {@code unsupported_feature} naming their feature (not
 * {@code unknown_message_type}), with {@code _reqId}, counted; the fire-and-forget ones are counted and not answered.
 */
class UnsupportedFeaturesTest {

    /** Every client message type of §15 (Telegram has none; API keys are §8.9's). */
    private static final List<String> SECTION_15 = List.of("get_file", "list_files", "file_status", "delete_file",
            "grant_file_access", "vector_store", "vector_search", "vector_delete", "list_collections", "graph_query",
            "graph_execute", "mesh_query", "mesh_execute", "mesh_schema", "mcp_register", "mcp_unregister", "mcp_list",
            "mcp_call", "mcp_call_response", "mcp_deploy", "mcp_undeploy", "mcp_update", "mcp_logs", "mcp_scope",
            "mcp_schema", "mcp_catalog", "skill_deploy", "create_webhook", "list_webhooks", "delete_webhook", "watch",
            "unwatch", "watch_list", "peer_file_request", "peer_file_response", "peer_dir_request", "peer_dir_response");
    private static final List<String> FIRE_AND_FORGET = List.of("mcp_unregister", "mcp_call_response",
            "peer_file_response", "peer_dir_response");

    private final ServiceHarness h = new ServiceHarness(List.of(new UnsupportedFeatures()));
    private final ServiceHarness.Peer a = h.session(h.member("alice"), "a");

    @Test
    void everySection15TypeShouldBelongToOneFeature() {
        List<String> all = new ArrayList<>();
        for (Feature f : Feature.values()) {
            all.addAll(f.answeredTypes());
            all.addAll(f.silentTypes());
        }
        assertThat(all).containsExactlyInAnyOrderElementsOf(SECTION_15);
    }

    @Test
    void requestsShouldBeAnsweredUnsupportedFeatureNamingTheFeature() {
        a.send("{\"type\":\"list_files\",\"_reqId\":\"f1\"}");
        a.send("{\"type\":\"watch\",\"url\":\"http://169.254.169.254/\",\"_reqId\":2}");
        h.run();

        assertThat(a.ofType("error")).containsExactly(
                "{\"type\":\"error\",\"code\":\"unsupported_feature\",\"message\":\"list_files: files is not supported "
                        + "by this broker (they need MinIO/S3 storage)\",\"_reqId\":\"f1\"}",
                "{\"type\":\"error\",\"code\":\"unsupported_feature\",\"message\":\"watch: URL watches is not "
                        + "supported by this broker (the broker does not fetch URLs on members' behalf)\",\"_reqId\":2}");
        for (String type : SECTION_15) {
            if (!FIRE_AND_FORGET.contains(type)) {
                a.send("{\"type\":\"" + type + "\",\"_reqId\":\"" + type + "\"}");
            }
        }
        h.run();
        assertThat(a.ofType("error")).hasSize(2 + SECTION_15.size() - FIRE_AND_FORGET.size())
                .allSatisfy(f -> assertThat(f).contains("\"code\":\"unsupported_feature\""));
        assertThat(h.metrics.requestErrors().get("list_files").get("unsupported_feature").sum()).isEqualTo(2);
        assertThat(h.metrics.requests().get("list_files").sum()).isEqualTo(2);
    }

    @Test
    void fireAndForgetTypesShouldBeCountedButNotAnswered() {
        for (String type : FIRE_AND_FORGET) {
            a.send("{\"type\":\"" + type + "\",\"_reqId\":\"x\"}");
        }
        a.send("{\"type\":\"list_peers\",\"_reqId\":\"marker\"}");
        h.run();

        assertThat(a.last()).startsWith("{\"type\":\"peers_list\",\"_reqId\":\"marker\"");
        assertThat(a.ofType("error")).isEmpty();
        for (String type : FIRE_AND_FORGET) {
            assertThat(h.metrics.requestErrors().get(type).get("unsupported_feature").sum()).as(type).isEqualTo(1);
        }
        assertThat(h.metrics.messagesUnknown()).isEmpty();
    }
}
