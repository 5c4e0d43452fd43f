package dev.claudemesh.broker.netty.it;

import dev.claudemesh.broker.core.crypto.Ed25519;
import dev.claudemesh.broker.core.testing.Identities;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static dev.claudemesh.broker.netty.it.Requests.ask;
import static dev.claudemesh.broker.netty.it.Requests.withoutReqId;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What PROTOCOL-MESH §0.7 says survives a restart, for §9 and §11–§13: contexts, skills (manifest text included),
 * stream names and vault entries are read back unchanged after the broker stops and starts on the same database;
 * stream subscriptions, in memory only, are gone; a ban still refuses the member's hello and API keys still work.
 */
class MeshWorkspaceRestartIT {

    private static final String MANIFEST = "{\"model\":\"opus\",\"allowed_tools\":[\"Bash\"],\"n\":1.50e3}";

    @Test
    void shouldKeepContextsSkillsStreamNamesAndVaultEntriesAcrossARestart() throws Exception {
        try (BrokerFixture broker = new BrokerFixture(Map.of())) {
            String mesh = broker.createMesh("restart-workspace");
            Identities.MemberKeys alice = broker.addMember(mesh, "alice");
            Ed25519.KeyPair aliceKeys = Ed25519.generate();
            BrokerFixture.Peer a = broker.session(alice, aliceKeys, "a", null);

            a.ws().send("{\"type\":\"share_context\",\"summary\":\"before the restart\",\"tags\":[\"r\"]}");
            a.ws().awaitType("context_shared");
            ask(a.ws(), "{\"type\":\"share_skill\",\"name\":\"deploy\",\"description\":\"d\",\"instructions\":\"i\","
                    + "\"tags\":[\"ops\"],\"manifest\":" + MANIFEST + "}");
            String streamId = BrokerFixture.jsonField(ask(a.ws(), "{\"type\":\"create_stream\",\"name\":\"metrics\"}"),
                    "id");
            ask(a.ws(), "{\"type\":\"subscribe\",\"stream\":\"metrics\"}");
            ask(a.ws(), "{\"type\":\"vault_set\",\"key\":\"API\",\"ciphertext\":\"Y3Q=\",\"nonce\":\"bm9u\","
                    + "\"sealed_key\":\"c2s=\",\"entry_type\":\"file\",\"mount_path\":\"/m\"}");
            String contexts = withoutReqId(ask(a.ws(), "{\"type\":\"list_contexts\"}"));
            String skill = withoutReqId(ask(a.ws(), "{\"type\":\"get_skill\",\"name\":\"deploy\"}"));
            String vault = withoutReqId(ask(a.ws(), "{\"type\":\"vault_get\",\"keys\":[\"API\"]}"));
            String vaultList = withoutReqId(ask(a.ws(), "{\"type\":\"vault_list\"}"));
            String streams = withoutReqId(ask(a.ws(), "{\"type\":\"list_streams\"}"));
            assertThat(streams).contains("\"id\":\"" + streamId + "\"").contains("\"subscriberCount\":1");

            broker.stop();
            assertThat(a.ws().awaitClose(5_000)).isEqualTo(1001);
            broker.start();

            BrokerFixture.Peer back = broker.session(alice, aliceKeys, "a", null);
            assertThat(withoutReqId(ask(back.ws(), "{\"type\":\"list_contexts\"}"))).isEqualTo(contexts)
                    .contains("\"summary\":\"before the restart\"");
            assertThat(withoutReqId(ask(back.ws(), "{\"type\":\"get_skill\",\"name\":\"deploy\"}"))).isEqualTo(skill)
                    .contains("\"manifest\":" + MANIFEST);
            assertThat(withoutReqId(ask(back.ws(), "{\"type\":\"vault_get\",\"keys\":[\"API\"]}"))).isEqualTo(vault)
                    .contains("\"ciphertext\":\"Y3Q=\"");
            assertThat(withoutReqId(ask(back.ws(), "{\"type\":\"vault_list\"}"))).isEqualTo(vaultList);
            // the stream's name and id stay; its subscriptions were in memory only
            assertThat(withoutReqId(ask(back.ws(), "{\"type\":\"list_streams\"}")))
                    .isEqualTo(streams.replace("\"subscriberCount\":1", "\"subscriberCount\":0"));
            back.ws().close();
        }
    }

    @Test
    void shouldKeepBansAndApiKeysAcrossARestart() throws Exception {
        try (BrokerFixture broker = new BrokerFixture(Map.of())) {
            String mesh = broker.createMesh("restart-bans");
            Identities.MemberKeys olga = broker.addMember(mesh, "olga", "\"role\":\"admin\"");
            Identities.MemberKeys bob = broker.addMember(mesh, "bob");
            BrokerFixture.Peer admin = broker.session(olga, "o");
            BrokerFixture.Peer b = broker.session(bob, "b");
            assertThat(ask(admin.ws(), "{\"type\":\"ban\",\"target\":\"bob\"}")).contains("\"type\":\"ban_ack\"");
            assertThat(b.ws().awaitClose(5_000)).isEqualTo(4002);
            String secret = TopicSupport.secret(TopicSupport.mintKey(admin.ws(), "[\"read\"]", null));
            String bans = withoutReqId(ask(admin.ws(), "{\"type\":\"list_bans\"}"));

            broker.stop();
            assertThat(admin.ws().awaitClose(5_000)).isEqualTo(1001);
            broker.start();

            // the ban holds: bob's next hello is refused, the admin still lists it
            WsClient again = broker.ws();
            again.send(Identities.sessionHello(bob, Ed25519.generate(), "b2", System.currentTimeMillis(), 3_600_000,
                    "n-b2", null));
            assertThat(again.awaitType("error")).contains("\"code\":\"revoked\"");
            assertThat(again.awaitClose(5_000)).isEqualTo(4002);
            BrokerFixture.Peer back = broker.session(olga, "o2");
            assertThat(withoutReqId(ask(back.ws(), "{\"type\":\"list_bans\"}"))).isEqualTo(bans)
                    .contains("\"name\":\"bob\"");
            // the API key still opens the REST API
            assertThat(broker.request("GET", "/api/v1/members", null, secret).statusCode()).isEqualTo(200);
            back.ws().close();
        }
    }
}
