package dev.claudemesh.broker.core.auditlog;

import dev.claudemesh.broker.core.model.MemberRole;
import dev.claudemesh.broker.core.testing.Identities;
import dev.claudemesh.broker.core.testing.ServiceHarness;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code audit_query} / {@code audit_verify} (PROTOCOL-MESH §14) with the [fix] (defect 4): admins only, the page size
 * capped, bad paging values refused; the reply shapes.
 */
class AuditLogServiceTest {

    private final Map<String, MemberRole> roles = new HashMap<>();
    private final List<String> queries = new ArrayList<>();
    private RuntimeException failure;
    private AuditLogStore.Verification verification = new AuditLogStore.Verification(true, 3, null);

    private final AuditLogStore store = new AuditLogStore() {
        @Override
        public Page query(String meshId, int limit, long offset, String eventType) {
            if (failure != null) {
                throw failure;
            }
            queries.add(limit + "/" + offset + "/" + eventType);
            return new Page(List.of(new Entry(7, "member_banned", "ada",
                    "{\"target\":\"bob\",\"targetPubkey\":\"k\",\"via\":\"ws\"}", "h7", 1_700_000_000_000L),
                    new Entry(6, "peer_left", "system", "{}", "h6", 1_700_000_000_000L)), 9);
        }

        @Override
        public Verification verify(String meshId) {
            if (failure != null) {
                throw failure;
            }
            return verification;
        }
    };

    private final ServiceHarness h = new ServiceHarness(List.of(new AuditLogService(store,
            (meshId, memberId) -> roles.get(memberId), 500)));
    private final Identities.MemberKeys ada = h.member("ada");
    private final Identities.MemberKeys bob = h.member("bob");
    private final ServiceHarness.Peer a = h.session(ada, "a");
    private final ServiceHarness.Peer b = h.session(bob, "b");

    {
        roles.put(ada.memberId(), MemberRole.ADMIN);
        roles.put(bob.memberId(), MemberRole.MEMBER);
    }

    private String ask(ServiceHarness.Peer p, String json) {
        p.send(json);
        h.run();
        return p.last();
    }

    @Test
    void anAdminShouldReadTheLogNewestFirst() {
        assertThat(ask(a, "{\"type\":\"audit_query\",\"_reqId\":\"q\"}")).isEqualTo("{\"type\":\"audit_result\","
                + "\"entries\":[{\"id\":7,\"eventType\":\"member_banned\",\"actor\":\"ada\",\"payload\":{\"target\":"
                + "\"bob\",\"targetPubkey\":\"k\",\"via\":\"ws\"},\"hash\":\"h7\",\"createdAt\":"
                + "\"2023-11-14T22:13:20.000Z\"},{\"id\":6,\"eventType\":\"peer_left\",\"actor\":\"system\","
                + "\"payload\":{},\"hash\":\"h6\",\"createdAt\":\"2023-11-14T22:13:20.000Z\"}],\"total\":9,"
                + "\"_reqId\":\"q\"}");
        assertThat(queries).containsExactly("50/0/null");
    }

    @Test
    void aMemberShouldBeForbidden() {
        assertThat(ask(b, "{\"type\":\"audit_query\",\"_reqId\":\"q\"}")).isEqualTo("{\"type\":\"error\","
                + "\"code\":\"forbidden\",\"message\":\"only owner or admin can query the audit log\",\"_reqId\":\"q\"}");
        assertThat(ask(b, "{\"type\":\"audit_verify\",\"_reqId\":\"v\"}")).isEqualTo("{\"type\":\"error\","
                + "\"code\":\"forbidden\",\"message\":\"only owner or admin can verify the audit log\",\"_reqId\":\"v\"}");
        assertThat(queries).isEmpty();
    }

    @Test
    void limitShouldBeCappedAndPagingValuesChecked() {
        ask(a, "{\"type\":\"audit_query\",\"limit\":100000,\"offset\":20,\"eventType\":\"peer_left\"}");
        ask(a, "{\"type\":\"audit_query\",\"limit\":0,\"eventType\":\"\"}");
        assertThat(queries).containsExactly("500/20/peer_left", "0/0/null");

        for (String bad : List.of("\"limit\":-1", "\"limit\":2.5", "\"limit\":\"10\"", "\"offset\":-3",
                "\"eventType\":5")) {
            assertThat(ask(a, "{\"type\":\"audit_query\"," + bad + ",\"_reqId\":\"x\"}"))
                    .as(bad).contains("\"code\":\"bad_request\"");
        }
        assertThat(queries).hasSize(2);
    }

    @Test
    void verifyShouldReportTheChain() {
        assertThat(ask(a, "{\"type\":\"audit_verify\",\"_reqId\":\"v\"}"))
                .isEqualTo("{\"type\":\"audit_verify_result\",\"valid\":true,\"entries\":3,\"_reqId\":\"v\"}");
        verification = new AuditLogStore.Verification(false, 3, 2L);
        assertThat(ask(a, "{\"type\":\"audit_verify\"}"))
                .isEqualTo("{\"type\":\"audit_verify_result\",\"valid\":false,\"entries\":3,\"brokenAt\":2}");
    }

    @Test
    void storeFailuresShouldHaveTheirOwnCodes() {
        failure = new IllegalStateException("boom");
        assertThat(ask(a, "{\"type\":\"audit_query\",\"_reqId\":\"q\"}")).contains("\"code\":\"audit_query_error\"")
                .doesNotContain("boom");
        assertThat(ask(a, "{\"type\":\"audit_verify\",\"_reqId\":\"v\"}")).contains("\"code\":\"audit_verify_error\"");
    }
}
