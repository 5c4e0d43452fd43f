package dev.claudemesh.broker.core.mesh;

import dev.claudemesh.broker.core.testing.Identities;
import dev.claudemesh.broker.core.vault.EntryType;
import dev.claudemesh.broker.core.vault.VaultService;
import dev.claudemesh.broker.core.vault.VaultStore;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The vault (PROTOCOL-MESH §13) on a manual loop with a scripted store: snake_case reply shapes, every call scoped to
 * the caller's member, bad input, size and quota answers, and a database failure answered {@code vault_error} with a
 * fixed text. Member isolation against the real table: VaultIT.
 */
class VaultServiceTest {

    static final class ScriptedVault implements VaultStore {
        final List<String> calls = new ArrayList<>();
        boolean setAnswer = true;
        boolean deleteAnswer = true;
        List<Entry> rows = List.of();
        boolean failing;

        @Override
        public synchronized boolean set(String meshId, String memberId, String newId, Entry entry, long nowMs,
                                        int maxPerMember) {
            if (failing) {
                throw new IllegalStateException("null value in column \"ciphertext\"");
            }
            calls.add("set " + memberId + " " + entry.key() + " " + entry.ciphertext() + " " + entry.nonce() + " "
                    + entry.sealedKey() + " " + entry.entryType() + " " + entry.mountPath() + " " + entry.description()
                    + " max=" + maxPerMember);
            return setAnswer;
        }

        @Override
        public synchronized List<Entry> list(String meshId, String memberId, int limit) {
            calls.add("list " + memberId + " " + limit);
            return rows;
        }

        @Override
        public synchronized List<Entry> get(String meshId, String memberId, List<String> keys) {
            calls.add("get " + memberId + " " + keys);
            return rows;
        }

        @Override
        public synchronized boolean delete(String meshId, String memberId, String key) {
            calls.add("delete " + memberId + " " + key);
            return deleteAnswer;
        }
    }

    private final ScriptedVault store = new ScriptedVault();
    private final MeshHarness h = new MeshHarness(Runnable::run,
            List.of(new VaultService(store, new VaultService.Limits(3, 64))));
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
    void shouldStoreForTheCallersMemberAndAck() {
        MeshHarness.Peer a = h.session(alice, "s-a");
        String me = a.session().lease().member().id();
        assertThat(ask(a, "{\"type\":\"vault_set\",\"key\":\"API\",\"ciphertext\":\"Y3Q=\",\"nonce\":\"bm9u\","
                + "\"sealed_key\":\"c2s=\",\"entry_type\":\"file\",\"mount_path\":\"/m\",\"description\":\"d\","
                + "\"_reqId\":\"v1\"}"))
                .isEqualTo("{\"type\":\"vault_ack\",\"key\":\"API\",\"action\":\"stored\",\"_reqId\":\"v1\"}");
        ask(a, "{\"type\":\"vault_set\",\"key\":\"K2\",\"ciphertext\":\"a\",\"nonce\":\"b\",\"sealed_key\":\"c\"}");
        assertThat(store.calls).containsExactly("set " + me + " API Y3Q= bm9u c2s= FILE /m d max=3",
                "set " + me + " K2 a b c ENV null null max=3");
    }

    @Test
    void shouldAnswerBadInputSizeQuotaAndFailures() {
        MeshHarness.Peer a = h.session(alice, "s-a");
        assertThat(ask(a, "{\"type\":\"vault_set\",\"key\":\"K\",\"nonce\":\"b\",\"sealed_key\":\"c\",\"_reqId\":\"1\"}"))
                .isEqualTo(error("bad_request", "ciphertext must be a string", "1"));
        assertThat(ask(a, "{\"type\":\"vault_set\",\"ciphertext\":\"a\",\"nonce\":\"b\",\"sealed_key\":\"c\","
                + "\"_reqId\":\"2\"}")).isEqualTo(error("bad_request", "key must be a non-empty string", "2"));
        assertThat(ask(a, "{\"type\":\"vault_set\",\"key\":\"K\",\"ciphertext\":\"a\",\"nonce\":\"b\","
                + "\"sealed_key\":\"c\",\"entry_type\":\"secret\",\"_reqId\":\"3\"}"))
                .isEqualTo(error("bad_request", "entry_type must be \\\"env\\\" or \\\"file\\\"", "3"));
        assertThat(ask(a, "{\"type\":\"vault_set\",\"key\":\"K\",\"ciphertext\":\"" + "a".repeat(62)
                + "\",\"nonce\":\"b\",\"sealed_key\":\"c\",\"_reqId\":\"4\"}"))
                .isEqualTo(error("payload_too_large", "a vault entry must be at most 64 bytes", "4"));
        assertThat(ask(a, "{\"type\":\"vault_get\",\"_reqId\":\"5\"}"))
                .isEqualTo(error("bad_request", "keys must be an array of strings", "5"));
        assertThat(ask(a, "{\"type\":\"vault_get\",\"keys\":[\"a\",\"b\",\"c\",\"d\"],\"_reqId\":\"6\"}"))
                .isEqualTo(error("bad_request", "keys must have at most 3 items", "6"));
        assertThat(ask(a, "{\"type\":\"vault_delete\",\"key\":\"\",\"_reqId\":\"7\"}"))
                .isEqualTo(error("bad_request", "key must be a non-empty string", "7"));
        assertThat(store.calls).isEmpty();

        store.setAnswer = false;
        String set = "{\"type\":\"vault_set\",\"key\":\"K\",\"ciphertext\":\"a\",\"nonce\":\"b\",\"sealed_key\":\"c\","
                + "\"_reqId\":\"8\"}";
        assertThat(ask(a, set)).isEqualTo(error("limit_exceeded",
                "you have 3 vault entries in this mesh (the limit)", "8"));
        store.failing = true;
        assertThat(ask(a, set)).isEqualTo(error("vault_error", "the vault is unavailable, try again", "8"));
    }

    @Test
    void shouldWriteGetListAndDeleteReplies() {
        MeshHarness.Peer a = h.session(alice, "s-a");
        String me = a.session().lease().member().id();
        assertThat(ask(a, "{\"type\":\"vault_get\",\"keys\":[],\"_reqId\":\"g0\"}"))
                .isEqualTo("{\"type\":\"vault_get_result\",\"entries\":[],\"_reqId\":\"g0\"}");
        store.rows = List.of(new VaultStore.Entry("API", "Y3Q=", "bm9u", "c2s=", EntryType.ENV, null, null, 0),
                new VaultStore.Entry("CERT", "eA==", "eQ==", "eg==", EntryType.FILE, "/etc/c.pem", "tls", 0));
        assertThat(ask(a, "{\"type\":\"vault_get\",\"keys\":[\"API\",\"CERT\",\"NONE\"],\"_reqId\":\"g\"}")).isEqualTo(
                "{\"type\":\"vault_get_result\",\"entries\":[{\"key\":\"API\",\"ciphertext\":\"Y3Q=\",\"nonce\":\"bm9u\","
                        + "\"sealed_key\":\"c2s=\",\"entry_type\":\"env\",\"mount_path\":null},{\"key\":\"CERT\","
                        + "\"ciphertext\":\"eA==\",\"nonce\":\"eQ==\",\"sealed_key\":\"eg==\",\"entry_type\":\"file\","
                        + "\"mount_path\":\"/etc/c.pem\"}],\"_reqId\":\"g\"}");
        store.rows = List.of(new VaultStore.Entry("API", null, null, null, EntryType.ENV, null, null,
                1_700_000_000_000L));
        assertThat(ask(a, "{\"type\":\"vault_list\",\"_reqId\":\"l\"}")).isEqualTo("{\"type\":\"vault_list_result\","
                + "\"entries\":[{\"key\":\"API\",\"entry_type\":\"env\",\"mount_path\":null,\"description\":null,"
                + "\"updated_at\":\"2023-11-14T22:13:20.000Z\"}],\"_reqId\":\"l\"}");
        assertThat(ask(a, "{\"type\":\"vault_delete\",\"key\":\"API\",\"_reqId\":\"d\"}"))
                .isEqualTo("{\"type\":\"vault_ack\",\"key\":\"API\",\"action\":\"deleted\",\"_reqId\":\"d\"}");
        store.deleteAnswer = false;
        assertThat(ask(a, "{\"type\":\"vault_delete\",\"key\":\"API\",\"_reqId\":\"d\"}"))
                .isEqualTo("{\"type\":\"vault_ack\",\"key\":\"API\",\"action\":\"not_found\",\"_reqId\":\"d\"}");
        assertThat(store.calls).containsExactly("get " + me + " [API, CERT, NONE]", "list " + me + " 3",
                "delete " + me + " API", "delete " + me + " API");
        assertThat(new VaultStore.Entry("API", "Y3Q=", "bm9u", "c2s=", EntryType.ENV, null, null, 0).toString())
                .isEqualTo("Entry[key=API, entryType=ENV]"); // never the sealed texts
    }
}
