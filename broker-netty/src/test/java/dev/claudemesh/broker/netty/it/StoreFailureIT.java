package dev.claudemesh.broker.netty.it;

import dev.claudemesh.broker.core.testing.Identities;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.util.List;
import java.util.Map;

import static dev.claudemesh.broker.netty.it.Requests.ask;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The error code no other IT can show: what each mesh request answers when its feature's table cannot be used (a
 * database failure as the broker sees it: the statement fails). Each feature's table is renamed away in turn, on a
 * real PostgreSQL under a running broker: every request type that expects a reply (and the reply-less ones asked with
 * a {@code _reqId}) is answered with its error code — {@code internal_error}, {@code vault_error} for the vault — that
 * echoes the request id and quotes none of the request's values, the broker keeps serving the other features, and the
 * feature works again once the table is back.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StoreFailureIT {

    private static final String SECRET = "secret-value-7f3a";
    private static final String SOME_ID = "f".repeat(32);

    private BrokerFixture broker;
    private BrokerFixture.Peer alice;
    private String topicId;

    @BeforeAll
    void start() throws Exception {
        broker = new BrokerFixture(Map.of("SEND_RATE_LIMIT_PER_MIN", "0"));
        String mesh = broker.createMesh("store-failure");
        Identities.MemberKeys a = broker.addMember(mesh, "alice");
        alice = broker.session(a, "a");
        topicId = TopicSupport.createTopic(alice.ws(), "ops", null);
    }

    @AfterAll
    void stop() {
        if (broker != null) {
            broker.close();
        }
    }

    /** One feature: its table, the requests it must fail (each ends with {@code }}), their code, and a request after. */
    private record Feature(String table, List<String> requests, String code, String afterwards, String afterType) {
    }

    private List<Feature> features() {
        String t = "\"topic\":\"" + topicId + "\"";
        return List.of(
                new Feature("state", List.of(
                        "{\"type\":\"set_state\",\"key\":\"k\",\"value\":\"" + SECRET + "\"}",
                        "{\"type\":\"get_state\",\"key\":\"" + SECRET + "\"}",
                        "{\"type\":\"list_state\"}",
                        "{\"type\":\"mesh_info\"}"), "internal_error",
                        "{\"type\":\"get_state\",\"key\":\"k\"}", "state_result"),
                new Feature("memory", List.of(
                        "{\"type\":\"remember\",\"content\":\"" + SECRET + "\"}",
                        "{\"type\":\"recall\",\"query\":\"" + SECRET + "\"}",
                        "{\"type\":\"forget\",\"memoryId\":\"" + SOME_ID + "\"}"), "internal_error",
                        "{\"type\":\"recall\",\"query\":\"anything\"}", "memory_results"),
                new Feature("task", List.of(
                        "{\"type\":\"create_task\",\"title\":\"" + SECRET + "\"}",
                        "{\"type\":\"claim_task\",\"taskId\":\"" + SOME_ID + "\"}",
                        "{\"type\":\"complete_task\",\"taskId\":\"" + SOME_ID + "\",\"result\":\"" + SECRET + "\"}",
                        "{\"type\":\"list_tasks\"}"), "internal_error",
                        "{\"type\":\"list_tasks\"}", "task_list"),
                new Feature("scheduled_message", List.of(
                        "{\"type\":\"schedule\",\"to\":\"*\",\"message\":\"" + SECRET + "\",\"deliverAt\":"
                                + (System.currentTimeMillis() + 3_600_000) + "}",
                        "{\"type\":\"list_scheduled\"}",
                        "{\"type\":\"cancel_scheduled\",\"scheduledId\":\"" + SECRET + "\"}"), "internal_error",
                        "{\"type\":\"list_scheduled\"}", "scheduled_list"),
                new Feature("topic", List.of(
                        "{\"type\":\"topic_create\",\"name\":\"" + SECRET + "\"}",
                        "{\"type\":\"topic_list\"}",
                        "{\"type\":\"topic_members\"," + t + "}",
                        "{\"type\":\"topic_history\"," + t + "}",
                        "{\"type\":\"topic_join\"," + t + "}",
                        "{\"type\":\"topic_leave\"," + t + "}",
                        "{\"type\":\"topic_mark_read\"," + t + "}"), "internal_error",
                        "{\"type\":\"topic_list\"}", "topic_list_response"),
                new Feature("api_key", List.of(
                        "{\"type\":\"apikey_create\",\"label\":\"" + SECRET + "\",\"capabilities\":[\"read\"]}",
                        "{\"type\":\"apikey_list\"}",
                        "{\"type\":\"apikey_revoke\",\"id\":\"" + SECRET + "\"}"), "internal_error",
                        "{\"type\":\"apikey_list\"}", "apikey_list_response"),
                new Feature("context", List.of(
                        "{\"type\":\"share_context\",\"summary\":\"" + SECRET + "\"}",
                        "{\"type\":\"get_context\",\"query\":\"" + SECRET + "\"}",
                        "{\"type\":\"list_contexts\"}"), "internal_error",
                        "{\"type\":\"list_contexts\"}", "context_list"),
                new Feature("skill", List.of(
                        "{\"type\":\"share_skill\",\"name\":\"s\",\"description\":\"d\",\"instructions\":\"" + SECRET
                                + "\"}",
                        "{\"type\":\"get_skill\",\"name\":\"" + SECRET + "\"}",
                        "{\"type\":\"list_skills\"}",
                        "{\"type\":\"remove_skill\",\"name\":\"" + SECRET + "\"}"), "internal_error",
                        "{\"type\":\"list_skills\"}", "skill_list"),
                new Feature("stream", List.of(
                        "{\"type\":\"create_stream\",\"name\":\"" + SECRET + "\"}",
                        "{\"type\":\"list_streams\"}"), "internal_error",
                        "{\"type\":\"list_streams\"}", "stream_list"),
                new Feature("vault_entry", List.of(
                        "{\"type\":\"vault_set\",\"key\":\"K\",\"ciphertext\":\"" + SECRET + "\",\"nonce\":\"bm9u\","
                                + "\"sealed_key\":\"c2s=\",\"entry_type\":\"env\"}",
                        "{\"type\":\"vault_get\",\"keys\":[\"K\"]}",
                        "{\"type\":\"vault_list\"}",
                        "{\"type\":\"vault_delete\",\"key\":\"K\"}"), "vault_error",
                        "{\"type\":\"vault_list\"}", "vault_list_result"),
                // last: the core writes this table for DMs (none are sent while it is away)
                new Feature("message_queue", List.of(
                        "{\"type\":\"message_status\",\"messageId\":\"" + SOME_ID + "\"}"), "internal_error",
                        "{\"type\":\"message_status\",\"messageId\":\"" + SOME_ID + "\"}", "error\",\"code\":\"not_found"));
    }

    @Test
    void everyRequestShouldAnswerItsErrorCodeWhileItsTableIsUnusableAndWorkAgainAfter() throws Exception {
        for (Feature f : features()) {
            Sql.execute(broker.databaseUrl(), "alter table mesh." + f.table() + " rename to " + f.table() + "_away");
            try {
                for (String request : f.requests()) {
                    String reply = ask(alice.ws(), request);
                    assertThat(reply).as(f.table() + ": " + request)
                            .startsWith("{\"type\":\"error\",\"code\":\"" + f.code() + "\",\"message\":\"")
                            .matches(".*,\"_reqId\":\"r[0-9]+\"}$")
                            .doesNotContain(SECRET).doesNotContain(f.table() + "_away");
                }
            } finally {
                Sql.execute(broker.databaseUrl(), "alter table mesh." + f.table() + "_away rename to " + f.table());
            }
            assertThat(ask(alice.ws(), f.afterwards())).as(f.table() + " is back")
                    .startsWith("{\"type\":\"" + f.afterType() + "\"");
        }
        // the core kept working throughout: the socket is the same, and it still answers
        assertThat(ask(alice.ws(), "{\"type\":\"list_peers\"}")).startsWith("{\"type\":\"peers_list\"");
    }
}
