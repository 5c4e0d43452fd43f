package dev.claudemesh.broker.netty.it;

import dev.claudemesh.broker.core.testing.Identities;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.claudemesh.broker.netty.it.Requests.ask;
import static dev.claudemesh.broker.netty.it.Requests.withoutReqId;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Skills (PROTOCOL-MESH §11.3) end to end: a real broker, real sockets, real PostgreSQL. Reply shapes field by field,
 * the manifest as the CLI's MCP server reads it (exact text back), name-sorted and filtered lists, the author/admin
 * rule of the §11.3 [fix] with an admin enrolled by an admin invite, {@code bad_request} for missing fields (§16
 * defect 13), the quota and list cap (§16 defect 20) holding under concurrent shares, and the audit events.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SkillsIT {

    private static final String MANIFEST = "{\"description\":\"Deploy a service\",\"when_to_use\":\"when shipping\","
            + "\"allowed_tools\":[\"Bash\",\"Read\"],\"model\":\"opus\",\"context\":\"fork\",\"agent\":\"ops\","
            + "\"user_invocable\":false,\"argument_hint\":\"<env>\",\"n\":1.50e3,\"nested\":{\"b\":1,\"a\":[null]}}";
    private BrokerFixture broker;

    @BeforeAll
    void start() throws Exception {
        broker = new BrokerFixture(Map.of("BROKER_MAX_SKILLS_PER_MESH", "3",
                "BROKER_MAX_SKILL_INSTRUCTIONS_BYTES", "1000"));
    }

    @AfterAll
    void stop() {
        if (broker != null) {
            broker.close();
        }
    }

    private static String share(String name, String description, String instructions, String extra) {
        return "{\"type\":\"share_skill\",\"name\":\"" + name + "\",\"description\":\"" + description
                + "\",\"instructions\":\"" + instructions + "\"" + extra + "}";
    }

    private static String ack(String name, String action) {
        return "{\"type\":\"skill_ack\",\"name\":\"" + name + "\",\"action\":\"" + action + "\"}";
    }

    @Test
    void shouldShareAndReadASkillWithItsManifestExactlyAsTheMcpServerReadsIt() throws Exception {
        String mesh = broker.createMesh("skills-shape");
        BrokerFixture.Peer a = broker.session(broker.addMember(mesh, "alice"), "a");
        BrokerFixture.Peer b = broker.session(broker.addMember(mesh, "bob"), "b");

        assertThat(withoutReqId(ask(a.ws(), share("deploy", "Ship it", "Run ./deploy \\\"now\\\"\\nthen check",
                ",\"tags\":[\"ops\",\"CI\"],\"manifest\":" + MANIFEST)))).isEqualTo(ack("deploy", "shared"));
        String created = Sql.string(broker.databaseUrl(), "select to_char(created_at at time zone 'UTC', "
                + "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') from mesh.skill where mesh_id = '" + mesh + "'");

        String data = ask(b.ws(), "{\"type\":\"get_skill\",\"name\":\"deploy\"}");
        assertThat(withoutReqId(data)).isEqualTo("{\"type\":\"skill_data\",\"skill\":{\"name\":\"deploy\","
                + "\"description\":\"Ship it\",\"instructions\":\"Run ./deploy \\\"now\\\"\\nthen check\","
                + "\"tags\":[\"ops\",\"CI\"],\"author\":\"alice\",\"manifest\":" + MANIFEST + ",\"createdAt\":\""
                + created + "\"}}");
        Map<String, Object> skill = castMap(Json.object(data).get("skill"));
        Map<String, Object> manifest = castMap(skill.get("manifest"));
        // what `claudemesh mcp` builds its prompt front matter and resource from
        assertThat(manifest).containsEntry("when_to_use", "when shipping").containsEntry("context", "fork")
                .containsEntry("agent", "ops").containsEntry("user_invocable", false)
                .containsEntry("argument_hint", "<env>").containsEntry("allowed_tools", List.of("Bash", "Read"));

        assertThat(withoutReqId(ask(b.ws(), "{\"type\":\"get_skill\",\"name\":\"nope\"}")))
                .isEqualTo("{\"type\":\"skill_data\",\"skill\":null}");
        // without a manifest, and with manifest:null, the skill has "manifest":null
        ask(a.ws(), share("bare", "", "x", ",\"manifest\":null"));
        assertThat(ask(b.ws(), "{\"type\":\"get_skill\",\"name\":\"bare\"}")).contains("\"tags\":[],\"author\":\"alice\","
                + "\"manifest\":null,\"createdAt\":\"");
        // the audit log names the skill, never its instructions
        Sql.await(broker.databaseUrl(), "select count(*) from mesh.audit_log where mesh_id = '" + mesh
                + "' and event_type = 'skill_shared' and payload_canonical in ('{\"name\":\"deploy\"}', "
                + "'{\"name\":\"bare\"}')", 2);
        a.ws().close();
        b.ws().close();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> castMap(Object o) {
        return (Map<String, Object>) o;
    }

    @Test
    void shouldListSkillsByNameAndFilterByNameDescriptionOrTagCaseInsensitively() throws Exception {
        String mesh = broker.createMesh("skills-list");
        BrokerFixture.Peer a = broker.session(broker.addMember(mesh, "alice"), "a");
        ask(a.ws(), share("zeta", "Last one", "i", ",\"tags\":[\"Infra\"]"));
        ask(a.ws(), share("alpha", "100% sure", "i", ""));
        ask(a.ws(), share("mid", "Middle", "i", ",\"tags\":[\"x_y\"]"));

        String all = ask(a.ws(), "{\"type\":\"list_skills\"}");
        assertThat(names(all)).containsExactly("alpha", "mid", "zeta"); // sorted by name
        assertThat(withoutReqId(all)).startsWith("{\"type\":\"skill_list\",\"skills\":[{\"name\":\"alpha\","
                + "\"description\":\"100% sure\",\"tags\":[],\"author\":\"alice\",\"createdAt\":\"")
                .contains("{\"name\":\"mid\",\"description\":\"Middle\",\"tags\":[\"x_y\"],\"author\":\"alice\",\"createdAt\":\"");
        assertThat(names(ask(a.ws(), "{\"type\":\"list_skills\",\"query\":\"INFRA\"}"))).containsExactly("zeta");
        assertThat(names(ask(a.ws(), "{\"type\":\"list_skills\",\"query\":\"ZET\"}"))).containsExactly("zeta");
        assertThat(names(ask(a.ws(), "{\"type\":\"list_skills\",\"query\":\"mIDd\"}"))).containsExactly("mid");
        assertThat(names(ask(a.ws(), "{\"type\":\"list_skills\",\"query\":\"0%\"}"))).containsExactly("alpha");
        assertThat(names(ask(a.ws(), "{\"type\":\"list_skills\",\"query\":\"%\"}"))).containsExactly("alpha");
        assertThat(names(ask(a.ws(), "{\"type\":\"list_skills\",\"query\":\"_\"}"))).containsExactly("mid");
        assertThat(names(ask(a.ws(), "{\"type\":\"list_skills\",\"query\":\"\"}"))).hasSize(3);
        assertThat(names(ask(a.ws(), "{\"type\":\"list_skills\",\"query\":\"nothing\"}"))).isEmpty();
        a.ws().close();
    }

    private static List<String> names(String skillList) {
        List<String> out = new ArrayList<>();
        for (Object o : (List<?>) Json.object(skillList).get("skills")) {
            out.add((String) castMap(o).get("name"));
        }
        return out;
    }

    @Test
    void shouldLetOnlyTheAuthorOrAnAdminOverwriteOrRemoveASkill() throws Exception {
        String mesh = broker.createMesh("skills-authz");
        BrokerFixture.Peer alice = broker.session(broker.addMember(mesh, "alice"), "a");
        BrokerFixture.Peer bob = broker.session(broker.addMember(mesh, "bob"), "b");
        BrokerFixture.Peer admin = broker.session(Requests.admin(broker, mesh, "root"), "r");
        ask(alice.ws(), share("deploy", "v1", "alice's", ""));

        String forbidden = "{\"type\":\"error\",\"code\":\"forbidden\",\"message\":\"only the author of skill "
                + "\\\"deploy\\\" or an admin can ";
        assertThat(withoutReqId(ask(bob.ws(), share("deploy", "v2", "bob's", ""))))
                .isEqualTo(forbidden + "overwrite it\"}");
        assertThat(withoutReqId(ask(bob.ws(), "{\"type\":\"remove_skill\",\"name\":\"deploy\"}")))
                .isEqualTo(forbidden + "remove it\"}");
        assertThat(ask(bob.ws(), "{\"type\":\"get_skill\",\"name\":\"deploy\"}"))
                .contains("\"instructions\":\"alice's\",\"tags\":[],\"author\":\"alice\""); // nothing written
        // the author overwrites her own skill; an admin may overwrite it too and becomes its author
        assertThat(withoutReqId(ask(alice.ws(), share("deploy", "v1.1", "alice again", ""))))
                .isEqualTo(ack("deploy", "shared"));
        assertThat(withoutReqId(ask(admin.ws(), share("deploy", "v3", "fixed by root", ""))))
                .isEqualTo(ack("deploy", "shared"));
        assertThat(ask(bob.ws(), "{\"type\":\"get_skill\",\"name\":\"deploy\"}"))
                .contains("\"description\":\"v3\",\"instructions\":\"fixed by root\",\"tags\":[],\"author\":\"root\"");
        assertThat(withoutReqId(ask(alice.ws(), "{\"type\":\"remove_skill\",\"name\":\"deploy\"}")))
                .isEqualTo(forbidden + "remove it\"}");
        assertThat(withoutReqId(ask(admin.ws(), "{\"type\":\"remove_skill\",\"name\":\"deploy\"}")))
                .isEqualTo(ack("deploy", "removed"));
        assertThat(withoutReqId(ask(admin.ws(), "{\"type\":\"remove_skill\",\"name\":\"deploy\"}")))
                .isEqualTo(ack("deploy", "not_found"));
        // the author removes her own
        ask(bob.ws(), share("bobs", "d", "i", ""));
        assertThat(withoutReqId(ask(bob.ws(), "{\"type\":\"remove_skill\",\"name\":\"bobs\"}")))
                .isEqualTo(ack("bobs", "removed"));
        Sql.await(broker.databaseUrl(), "select count(*) from mesh.audit_log where mesh_id = '" + mesh
                + "' and event_type = 'skill_removed'", 2);
        assertThat(Sql.count(broker.databaseUrl(), "select count(*) from mesh.skill where mesh_id = '" + mesh + "'"))
                .isZero();
        for (BrokerFixture.Peer p : List.of(alice, bob, admin)) {
            p.ws().close();
        }
    }

    @Test
    void shouldAnswerMissingFieldsWithBadRequestInsteadOfSilence() throws Exception {
        String mesh = broker.createMesh("skills-bad");
        BrokerFixture.Peer a = broker.session(broker.addMember(mesh, "alice"), "a");
        String bad = "{\"type\":\"error\",\"code\":\"bad_request\",\"message\":\"";
        // §16 defect 13: the original stayed silent and the CLI timed out
        assertThat(withoutReqId(ask(a.ws(), "{\"type\":\"share_skill\",\"name\":\"x\",\"instructions\":\"i\"}")))
                .isEqualTo(bad + "description must be a string\"}");
        assertThat(withoutReqId(ask(a.ws(), "{\"type\":\"share_skill\",\"name\":\"x\",\"description\":\"d\"}")))
                .isEqualTo(bad + "instructions must be a string\"}");
        assertThat(withoutReqId(ask(a.ws(), "{\"type\":\"share_skill\",\"description\":\"d\",\"instructions\":\"i\"}")))
                .isEqualTo(bad + "name must be a non-empty string\"}");
        assertThat(withoutReqId(ask(a.ws(), share("x", "d", "i", ",\"tags\":{}"))))
                .isEqualTo(bad + "tags must be an array of strings\"}");
        assertThat(withoutReqId(ask(a.ws(), "{\"type\":\"get_skill\"}"))).isEqualTo(bad + "name must be a non-empty "
                + "string\"}");
        assertThat(withoutReqId(ask(a.ws(), "{\"type\":\"remove_skill\",\"name\":null}")))
                .isEqualTo(bad + "name must be a non-empty string\"}");
        assertThat(withoutReqId(ask(a.ws(), "{\"type\":\"list_skills\",\"query\":5}")))
                .isEqualTo(bad + "query must be a string\"}");
        assertThat(withoutReqId(ask(a.ws(), share("big", "d", "x".repeat(1001), ""))))
                .isEqualTo("{\"type\":\"error\",\"code\":\"payload_too_large\",\"message\":\"instructions must be at "
                        + "most 1000 bytes\"}");
        assertThat(Sql.count(broker.databaseUrl(), "select count(*) from mesh.skill where mesh_id = '" + mesh + "'"))
                .isZero();
        a.ws().close();
    }

    @Test
    void shouldHoldTheQuotaAndCapTheList() throws Exception {
        String mesh = broker.createMesh("skills-quota");
        Identities.MemberKeys alice = broker.addMember(mesh, "alice");
        Identities.MemberKeys bob = broker.addMember(mesh, "bob");
        BrokerFixture.Peer a = broker.session(alice, "a");
        BrokerFixture.Peer b = broker.session(bob, "b");
        // two sockets, 5 new names each, sent without waiting for replies (the quota under two brokers sharing the
        // database: PgFeatureStoresIT)
        for (int i = 0; i < 5; i++) {
            a.ws().send(share("a" + i, "d", "i", ",\"_reqId\":\"qa" + i + "\""));
            b.ws().send(share("b" + i, "d", "i", ",\"_reqId\":\"qb" + i + "\""));
        }
        long shared = 0;
        long refused = 0;
        for (int i = 0; i < 5; i++) {
            for (String frame : List.of(a.ws().await("\"_reqId\":\"qa" + i + "\""),
                    b.ws().await("\"_reqId\":\"qb" + i + "\""))) {
                if (frame.contains("\"action\":\"shared\"")) {
                    shared++;
                } else {
                    assertThat(frame).startsWith("{\"type\":\"error\",\"code\":\"limit_exceeded\","
                            + "\"message\":\"this mesh has 3 skills (the limit)\"");
                    refused++;
                }
            }
        }
        assertThat(shared).isEqualTo(3);
        assertThat(refused).isEqualTo(7);
        assertThat(Sql.count(broker.databaseUrl(), "select count(*) from mesh.skill where mesh_id = '" + mesh + "'"))
                .isEqualTo(3);
        // at the limit, an existing skill can still be updated by its author
        String name = Sql.string(broker.databaseUrl(), "select name from mesh.skill where mesh_id = '" + mesh
                + "' order by name limit 1");
        BrokerFixture.Peer author = name.startsWith("a") ? a : b;
        assertThat(withoutReqId(ask(author.ws(), share(name, "d2", "i2", "")))).isEqualTo(ack(name, "shared"));
        assertThat(names(ask(b.ws(), "{\"type\":\"list_skills\"}"))).hasSize(3);
        a.ws().close();
        b.ws().close();
    }
}
