package dev.claudemesh.broker.core.meshinfo;

import dev.claudemesh.broker.core.model.GroupRole;
import dev.claudemesh.broker.core.testing.Identities;
import dev.claudemesh.broker.core.testing.ServiceHarness;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code mesh_info} (PROTOCOL-MESH §10.1): every field, from the leases and from the store's counts. */
class MeshInfoServiceTest {

    private final AtomicReference<MeshInfoStore.Counts> counts = new AtomicReference<>(MeshInfoStore.Counts.EMPTY);
    private final AtomicReference<RuntimeException> failure = new AtomicReference<>();
    private final ServiceHarness h = new ServiceHarness(List.of(new MeshInfoService(meshId -> {
        if (failure.get() != null) {
            throw failure.get();
        }
        return counts.get();
    })));

    @Test
    void shouldSummariseTheMeshFieldByField() {
        Identities.MemberKeys alice = h.member("alice");
        ServiceHarness.Peer a = h.session(alice, "a", "[{\"name\":\"be\",\"role\":\"lead\"},{\"name\":\"ops\"}]");
        h.hello(alice, "daemon");
        h.session(h.member("bob", new GroupRole("reviewers", null)), "b", "[{\"name\":\"be\"},{\"name\":\"qa\"}]");
        counts.set(new MeshInfoStore.Counts(List.of("a", "release"), 12, 0, Map.of("open", 2L, "wontfix", 1L,
                "done", 5L), List.of("builds"), List.of()));

        a.send("{\"type\":\"mesh_info\",\"_reqId\":\"r16\"}");
        h.run();

        assertThat(a.last()).isEqualTo("{\"type\":\"mesh_info_result\",\"mesh\":\"" + ServiceHarness.MESH + "\","
                + "\"peers\":3,\"groups\":[\"@be\",\"@ops\",\"@qa\"],\"stateKeys\":[\"a\",\"release\"],"
                + "\"memoryCount\":12,\"fileCount\":0,\"tasks\":{\"open\":2,\"claimed\":0,\"done\":5,\"wontfix\":1},"
                + "\"streams\":[\"builds\"],\"tables\":[],\"collections\":[],\"yourName\":\"n-a\","
                + "\"yourGroups\":[{\"name\":\"be\",\"role\":\"lead\"},{\"name\":\"ops\"}],\"_reqId\":\"r16\"}");
    }

    @Test
    void aControlPlaneLeaseShouldFindItsOwnName() {
        Identities.MemberKeys alice = h.member("alice", new GroupRole("be", null));
        ServiceHarness.Peer d = h.hello(alice, "daemon");

        d.send("{\"type\":\"mesh_info\"}");
        h.run();

        assertThat(d.last()).contains("\"peers\":1,\"groups\":[\"@be\"]").contains("\"yourName\":\"d-daemon\"")
                .contains("\"yourGroups\":[{\"name\":\"be\"}]}").contains("\"tasks\":{\"open\":0,\"claimed\":0,"
                        + "\"done\":0}");
    }

    @Test
    void aStoreFailureShouldBeAnInternalError() {
        ServiceHarness.Peer a = h.session(h.member("alice"), "a");
        failure.set(new IllegalStateException("relation mesh.state: permission denied"));

        a.send("{\"type\":\"mesh_info\",\"_reqId\":\"x\"}");
        h.run();

        assertThat(a.last()).isEqualTo("{\"type\":\"error\",\"code\":\"internal_error\","
                + "\"message\":\"mesh info is unavailable right now\",\"_reqId\":\"x\"}");
    }
}
