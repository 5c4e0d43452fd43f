package dev.claudemesh.broker.netty.it;

import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The message types of PROTOCOL-MESH §15 on a real broker: answered {@code unsupported_feature} naming the feature,
 * with {@code _reqId}, and counted in {@code broker_request_errors_total}; a fire-and-forget one stays silent (the
 * next reply is the marker's).
 */
class UnsupportedFeaturesIT {

    @Test
    void section15TypesShouldBeUnsupportedFeaturesNotUnknownTypes() throws Exception {
        try (BrokerFixture broker = new BrokerFixture()) {
            String meshId = broker.createMesh("unsupported");
            BrokerFixture.Peer a = broker.session(broker.addMember(meshId, "alice"), "a");

            a.ws().send("{\"type\":\"vector_search\",\"collection\":\"c\",\"query\":\"q\",\"_reqId\":\"v1\"}");
            assertThat(a.ws().await("\"_reqId\":\"v1\"")).isEqualTo("{\"type\":\"error\",\"code\":"
                    + "\"unsupported_feature\",\"message\":\"vector_search: vectors is not supported by this broker "
                    + "(they need Qdrant)\",\"_reqId\":\"v1\"}");
            a.ws().send("{\"type\":\"list_webhooks\",\"_reqId\":\"w1\"}");
            assertThat(a.ws().await("\"_reqId\":\"w1\"")).contains("\"code\":\"unsupported_feature\"")
                    .contains("webhooks");
            a.ws().send("{\"type\":\"mcp_call_response\",\"callId\":\"x\",\"result\":{},\"_reqId\":\"silent\"}");
            a.ws().send("{\"type\":\"list_peers\",\"_reqId\":\"marker\"}");
            assertThat(a.ws().await(s -> s.contains("\"_reqId\"") && !s.contains("\"w1\"")
                    && !s.contains("\"v1\""), 5_000)).startsWith("{\"type\":\"peers_list\",\"_reqId\":\"marker\"");

            HttpResponse<String> metrics = broker.request("GET", "/metrics", null, null);
            assertThat(metrics.body())
                    .containsPattern("broker_request_errors_total\\{code=\"unsupported_feature\",type=\"vector_search\"} "
                            + "1(\\.0)?\n")
                    .containsPattern("broker_request_errors_total\\{code=\"unsupported_feature\","
                            + "type=\"mcp_call_response\"} 1(\\.0)?\n")
                    .doesNotContain("broker_messages_unknown_total{type=\"vector_search\"}");
        }
    }
}
