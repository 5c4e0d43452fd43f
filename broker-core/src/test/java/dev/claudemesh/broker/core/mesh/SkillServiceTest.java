package dev.claudemesh.broker.core.mesh;

import dev.claudemesh.broker.core.audit.AuditEvent;
import dev.claudemesh.broker.core.port.DurableOp;
import dev.claudemesh.broker.core.skill.SkillService;
import dev.claudemesh.broker.core.skill.SkillStore;
import dev.claudemesh.broker.core.testing.Identities;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Skills (PROTOCOL-MESH §11.3) on a manual loop with a scripted store: reply shapes field by field, the manifest
 * written back exactly, {@code bad_request} for missing or ill-typed fields (§16 defect 13), and how the store's
 * author/admin and quota decisions are answered. The rule itself is decided in SQL: SkillsIT tests it.
 */
class SkillServiceTest {

    /** Records calls; answers what the test scripts. */
    static final class ScriptedSkills implements SkillStore {
        final List<String> calls = new ArrayList<>();
        Shared shareOutcome = Shared.SHARED;
        Removed removeOutcome = Removed.REMOVED;
        Skill stored;
        List<Summary> listed = List.of();
        boolean failing;

        private void check() {
            if (failing) {
                throw new IllegalStateException("down");
            }
        }

        @Override
        public synchronized Shared share(String meshId, String memberId, String authorName, String newId, Skill skill,
                                         long nowMs, int maxPerMesh) {
            check();
            calls.add("share " + memberId + " " + authorName + " " + skill.name() + " tags=" + skill.tags()
                    + " manifest=" + skill.manifestJson() + " max=" + maxPerMesh);
            return shareOutcome;
        }

        @Override
        public synchronized Skill get(String meshId, String name) {
            check();
            calls.add("get " + name);
            return stored;
        }

        @Override
        public synchronized List<Summary> list(String meshId, String query, int limit) {
            check();
            calls.add("list " + query + " " + limit);
            return listed;
        }

        @Override
        public synchronized Removed remove(String meshId, String memberId, String name) {
            check();
            calls.add("remove " + memberId + " " + name);
            return removeOutcome;
        }
    }

    private static final String CREATED = "2023-11-14T22:13:20.000Z";
    private final ScriptedSkills store = new ScriptedSkills();
    private final MeshHarness h = new MeshHarness(Runnable::run,
            List.of(new SkillService(store, new SkillService.Limits(5, 100))));
    private final Identities.MemberKeys alice = h.member("alice");

    private String ask(MeshHarness.Peer p, String json) {
        p.send(json);
        h.loop.runAll();
        return p.conn().last();
    }

    private static String error(String code, String message, String reqId) {
        return "{\"type\":\"error\",\"code\":\"" + code + "\",\"message\":\"" + message + "\",\"_reqId\":\"" + reqId
                + "\"}";
    }

    @Test
    void shouldShareASkillWithItsManifestTextExactlyAndAuditIt() {
        MeshHarness.Peer a = h.session(alice, "s-a");
        String manifest = "{\"when_to_use\":\"on deploys\",\"allowed_tools\":[\"Bash\",\"Read\"],\"model\":\"opus\","
                + "\"context\":\"fork\",\"user_invocable\":false,\"n\":1.50e3}";
        assertThat(ask(a, "{\"type\":\"share_skill\",\"name\":\"deploy\",\"description\":\"Ship it\","
                + "\"instructions\":\"Run ./deploy\",\"tags\":[\"ops\",\"ci\"],\"manifest\":" + manifest
                + ",\"_reqId\":\"r1\"}"))
                .isEqualTo("{\"type\":\"skill_ack\",\"name\":\"deploy\",\"action\":\"shared\",\"_reqId\":\"r1\"}");
        assertThat(ask(a, "{\"type\":\"share_skill\",\"name\":\"plain\",\"description\":\"\",\"instructions\":\"x\","
                + "\"manifest\":null,\"_reqId\":2}"))
                .isEqualTo("{\"type\":\"skill_ack\",\"name\":\"plain\",\"action\":\"shared\",\"_reqId\":2}");
        String memberId = a.session().lease().member().id();
        assertThat(store.calls).containsExactly(
                "share " + memberId + " alice deploy tags=[ops, ci] manifest=" + manifest + " max=5",
                "share " + memberId + " alice plain tags=[] manifest=null max=5");
        assertThat(h.audits().stream().map(DurableOp.AppendAudit::event).filter(e -> e instanceof AuditEvent.SkillShared))
                .containsExactly(new AuditEvent.SkillShared("deploy"), new AuditEvent.SkillShared("plain"));
    }

    @Test
    void shouldAnswerMissingOrIllTypedFieldsWithBadRequest() {
        MeshHarness.Peer a = h.session(alice, "s-a");
        assertThat(ask(a, "{\"type\":\"share_skill\",\"name\":\"x\",\"instructions\":\"i\",\"_reqId\":\"1\"}"))
                .isEqualTo(error("bad_request", "description must be a string", "1"));
        assertThat(ask(a, "{\"type\":\"share_skill\",\"name\":\"x\",\"description\":\"d\",\"_reqId\":\"2\"}"))
                .isEqualTo(error("bad_request", "instructions must be a string", "2"));
        assertThat(ask(a, "{\"type\":\"share_skill\",\"description\":\"d\",\"instructions\":\"i\",\"_reqId\":\"3\"}"))
                .isEqualTo(error("bad_request", "name must be a non-empty string", "3"));
        assertThat(ask(a, "{\"type\":\"share_skill\",\"name\":\"x\",\"description\":\"d\",\"instructions\":\"i\","
                + "\"tags\":\"ops\",\"_reqId\":\"4\"}"))
                .isEqualTo(error("bad_request", "tags must be an array of strings", "4"));
        assertThat(ask(a, "{\"type\":\"share_skill\",\"name\":\"x\",\"description\":\"d\",\"instructions\":\"i\","
                + "\"tags\":[1],\"_reqId\":\"5\"}"))
                .isEqualTo(error("bad_request", "tags must be an array of strings", "5"));
        assertThat(ask(a, "{\"type\":\"share_skill\",\"name\":\"x\",\"description\":\"d\",\"instructions\":\""
                + "é".repeat(51) + "\",\"_reqId\":\"6\"}"))
                .isEqualTo(error("payload_too_large", "instructions must be at most 100 bytes", "6"));
        assertThat(ask(a, "{\"type\":\"get_skill\",\"_reqId\":\"7\"}"))
                .isEqualTo(error("bad_request", "name must be a non-empty string", "7"));
        assertThat(ask(a, "{\"type\":\"remove_skill\",\"name\":3,\"_reqId\":\"8\"}"))
                .isEqualTo(error("bad_request", "name must be a string", "8"));
        assertThat(ask(a, "{\"type\":\"list_skills\",\"query\":{},\"_reqId\":\"9\"}"))
                .isEqualTo(error("bad_request", "query must be a string", "9"));
        assertThat(store.calls).isEmpty();
        assertThat(h.metrics.requestErrors().get("share_skill").get("bad_request").sum()).isEqualTo(5);
    }

    @Test
    void shouldAnswerTheStoresRefusals() {
        MeshHarness.Peer a = h.session(alice, "s-a");
        String share = "{\"type\":\"share_skill\",\"name\":\"deploy\",\"description\":\"d\",\"instructions\":\"i\","
                + "\"_reqId\":\"s\"}";
        store.shareOutcome = SkillStore.Shared.FORBIDDEN;
        assertThat(ask(a, share)).isEqualTo(error("forbidden",
                "only the author of skill \\\"deploy\\\" or an admin can overwrite it", "s"));
        store.shareOutcome = SkillStore.Shared.LIMIT_REACHED;
        assertThat(ask(a, share)).isEqualTo(error("limit_exceeded", "this mesh has 5 skills (the limit)", "s"));
        store.removeOutcome = SkillStore.Removed.FORBIDDEN;
        assertThat(ask(a, "{\"type\":\"remove_skill\",\"name\":\"deploy\",\"_reqId\":\"r\"}")).isEqualTo(error(
                "forbidden", "only the author of skill \\\"deploy\\\" or an admin can remove it", "r"));
        store.removeOutcome = SkillStore.Removed.NOT_FOUND;
        assertThat(ask(a, "{\"type\":\"remove_skill\",\"name\":\"deploy\",\"_reqId\":\"r\"}")).isEqualTo(
                "{\"type\":\"skill_ack\",\"name\":\"deploy\",\"action\":\"not_found\",\"_reqId\":\"r\"}");
        store.removeOutcome = SkillStore.Removed.REMOVED;
        assertThat(ask(a, "{\"type\":\"remove_skill\",\"name\":\"deploy\",\"_reqId\":\"r\"}")).isEqualTo(
                "{\"type\":\"skill_ack\",\"name\":\"deploy\",\"action\":\"removed\",\"_reqId\":\"r\"}");
        assertThat(h.audits().stream().map(DurableOp.AppendAudit::event)
                .filter(e -> e instanceof AuditEvent.SkillShared || e instanceof AuditEvent.SkillRemoved))
                .containsExactly(new AuditEvent.SkillRemoved("deploy")); // refusals are not audited
        store.failing = true;
        assertThat(ask(a, share)).isEqualTo(error("internal_error", "skills are unavailable, try again", "s"));
    }

    @Test
    void shouldWriteGetAndListReplies() {
        MeshHarness.Peer a = h.session(alice, "s-a");
        assertThat(ask(a, "{\"type\":\"get_skill\",\"name\":\"none\",\"_reqId\":\"g\"}"))
                .isEqualTo("{\"type\":\"skill_data\",\"skill\":null,\"_reqId\":\"g\"}");
        store.stored = new SkillStore.Skill("deploy", "Ship \"it\"", "line1\nline2", List.of("ops"), "alice",
                "{\"model\":\"opus\",\"n\":1.50e3,\"a\":[true,null]}", 1_700_000_000_000L);
        assertThat(ask(a, "{\"type\":\"get_skill\",\"name\":\"deploy\",\"_reqId\":\"g\"}")).isEqualTo(
                "{\"type\":\"skill_data\",\"skill\":{\"name\":\"deploy\",\"description\":\"Ship \\\"it\\\"\","
                        + "\"instructions\":\"line1\\nline2\",\"tags\":[\"ops\"],\"author\":\"alice\","
                        + "\"manifest\":{\"model\":\"opus\",\"n\":1.50e3,\"a\":[true,null]},\"createdAt\":\"" + CREATED
                        + "\"},\"_reqId\":\"g\"}");
        store.stored = new SkillStore.Skill("bare", "d", "i", List.of(), null, null, 1_700_000_000_000L);
        assertThat(ask(a, "{\"type\":\"get_skill\",\"name\":\"bare\"}")).isEqualTo(
                "{\"type\":\"skill_data\",\"skill\":{\"name\":\"bare\",\"description\":\"d\",\"instructions\":\"i\","
                        + "\"tags\":[],\"author\":null,\"manifest\":null,\"createdAt\":\"" + CREATED + "\"}}");

        store.listed = List.of(new SkillStore.Summary("a", "first", List.of("x", "y"), "alice", 1_700_000_000_000L),
                new SkillStore.Summary("b", "second", List.of(), "bob", 1_700_000_000_000L));
        assertThat(ask(a, "{\"type\":\"list_skills\",\"_reqId\":\"l\"}")).isEqualTo(
                "{\"type\":\"skill_list\",\"skills\":[{\"name\":\"a\",\"description\":\"first\",\"tags\":[\"x\",\"y\"],"
                        + "\"author\":\"alice\",\"createdAt\":\"" + CREATED + "\"},{\"name\":\"b\",\"description\":"
                        + "\"second\",\"tags\":[],\"author\":\"bob\",\"createdAt\":\"" + CREATED + "\"}],\"_reqId\":\"l\"}");
        ask(a, "{\"type\":\"list_skills\",\"query\":\"\"}");
        ask(a, "{\"type\":\"list_skills\",\"query\":\"Dep\"}");
        assertThat(store.calls).containsSubsequence("list null 5", "list null 5", "list Dep 5");
    }
}
