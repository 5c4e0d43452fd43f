package dev.claudemesh.broker.core.mesh;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.claudemesh.broker.core.envelope.JsonNode;
import dev.claudemesh.broker.core.model.GroupRole;
import dev.claudemesh.broker.core.presence.MessageLookup;
import dev.claudemesh.broker.core.presence.PeerStateStore;
import dev.claudemesh.broker.core.presence.PresenceLimits;
import dev.claudemesh.broker.core.presence.PresenceService;
import dev.claudemesh.broker.core.testing.Identities;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The presence service in the core, on a manual loop and clock with in-memory stores run by hand: the hello that
 * waits for the member's saved state (frames behind it wait too), what a close saves and when (only control-plane
 * leases, the counters' baselines, shutdown), and the log lines of rejected requests and unknown types.
 */
class PresenceTest {

    /** peer_state in memory, with the counters added as the SQL does. */
    static final class MemoryPeerStates implements PeerStateStore {
        final Map<String, SavedPeerState> rows = new HashMap<>();
        final List<Save> saves = new ArrayList<>();
        boolean failLoads;

        @Override
        public SavedPeerState load(String meshId, String memberId) {
            if (failLoads) {
                throw new IllegalStateException("database down");
            }
            return rows.get(memberId);
        }

        @Override
        public void save(String meshId, String memberId, Save save) {
            saves.add(save);
            SavedPeerState prev = rows.get(memberId);
            SavedPeerState.Stats p = prev == null ? SavedPeerState.Stats.ZERO : prev.cumulativeStats();
            SavedPeerState.Stats i = save.increase();
            rows.put(memberId, new SavedPeerState(save.groups(), save.visible(), save.profile(),
                    save.summary() != null ? save.summary() : prev == null ? null : prev.lastSummary(),
                    save.savedAtMs(), new SavedPeerState.Stats(p.messagesIn() + i.messagesIn(),
                    p.messagesOut() + i.messagesOut(), p.toolCalls() + i.toolCalls(), p.errors() + i.errors())));
        }
    }

    private final ArrayDeque<Runnable> storageTasks = new ArrayDeque<>();
    private final Executor storage = storageTasks::add;
    private final MemoryPeerStates peerStates = new MemoryPeerStates();
    private final MessageLookup noMessages = (meshId, id) -> List.of();
    private final MeshHarness h = new MeshHarness(storage, List.of(new PresenceService(peerStates, noMessages, null,
            PresenceLimits.defaults())));
    private final Identities.MemberKeys alice = h.member("alice");
    private final Identities.MemberKeys bob = h.member("bob");
    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();

    private void runStorage() {
        Runnable r;
        while ((r = storageTasks.poll()) != null) {
            r.run();
        }
    }

    /** A hello whose restore load is answered at once. */
    private MeshHarness.Peer hello(Identities.MemberKeys m, String sessionId) {
        MeshHarness.Peer p = h.hello(m, sessionId);
        runStorage();
        h.loop.runAll();
        return p;
    }

    private void close(MeshHarness.Peer p) {
        p.session().onClosed();
        h.loop.runAll();
        runStorage();
    }

    private Lease lease(MeshHarness.Peer p) {
        return h.mesh().leases.byPresenceId(p.presenceId());
    }

    /** The loggers of rejected requests (MeshCore), unknown types and unparsable frames (MeshState). */
    private static final List<Class<?>> REJECTION_LOGGERS = List.of(MeshCore.class, UnknownTypes.class,
            MeshState.class);

    @AfterEach
    void detachLogs() {
        for (Class<?> c : REJECTION_LOGGERS) {
            Logger l = (Logger) LoggerFactory.getLogger(c);
            l.detachAppender(logs);
            l.setLevel(null);
        }
    }

    @Test
    void shouldHoldTheHelloAndItsFollowingFramesUntilTheSavedStateIsLoaded() {
        peerStates.rows.put(alice.memberId(), new SavedPeerState(List.of(new GroupRole("be", "lead")), false,
                JsonNode.ObjectNode.EMPTY, "last", 1_000L, new SavedPeerState.Stats(1, 2, 3, 4)));
        MeshHarness.Peer b = h.session(bob, "s-b");
        MeshHarness.Peer a = h.hello(alice, "d1");
        a.send("{\"type\":\"list_peers\",\"_reqId\":\"after-hello\"}");
        h.loop.runAll();
        assertThat(a.conn().frames).as("nothing before the load answered").isEmpty();
        assertThat(storageTasks).hasSize(1);

        runStorage();
        h.loop.runAll();

        assertThat(a.conn().frames.get(0)).startsWith("{\"type\":\"hello_ack\"").contains("\"restored\":true,"
                + "\"lastSummary\":\"last\",\"lastSeenAt\":\"1970-01-01T00:00:01.000Z\",\"restoredGroups\":[{\"name\":"
                + "\"be\",\"role\":\"lead\"}],\"restoredStats\":{\"messagesIn\":1,\"messagesOut\":2,\"toolCalls\":3,"
                + "\"errors\":4},\"services\":[]}");
        assertThat(a.conn().frames.get(1)).contains("\"_reqId\":\"after-hello\"");
        assertThat(lease(a).visible()).isFalse();
        assertThat(lease(a).groups()).containsExactly(new GroupRole("be", "lead"));
        assertThat(b.conn().framesContaining("peer_returned")).hasSize(1);
    }

    @Test
    void shouldRegisterAsIfNothingWasSavedWhenTheLoadFails() {
        peerStates.failLoads = true;
        MeshHarness.Peer a = hello(alice, "d1");
        assertThat(a.conn().frames.get(0)).startsWith("{\"type\":\"hello_ack\"").doesNotContain("restored")
                .endsWith(",\"services\":[]}");
        assertThat(lease(a).visible()).isTrue();
    }

    @Test
    void shouldRegisterWithoutTheSavedStateWhenItIsNotLoadedInTime() {
        peerStates.rows.put(alice.memberId(), new SavedPeerState(List.of(), false, JsonNode.ObjectNode.EMPTY, null,
                null, SavedPeerState.Stats.ZERO));
        MeshHarness.Peer a = h.hello(alice, "d1");
        assertThat(a.conn().frames).isEmpty();

        h.loop.advance(MeshState.RESTORE_WAIT_MS);
        assertThat(a.conn().frames.get(0)).startsWith("{\"type\":\"hello_ack\"").doesNotContain("restored");
        runStorage(); // the load answers late: ignored
        h.loop.runAll();
        assertThat(a.conn().framesContaining("hello_ack")).hasSize(1);
        assertThat(lease(a).visible()).isTrue();
    }

    @Test
    void shouldNotLoadForAReattachNorForASessionHello() {
        MeshHarness.Peer a = hello(alice, "d1");
        close(a);
        storageTasks.clear();
        MeshHarness.Peer again = h.hello(alice, "d1"); // grace lease of the same sessionId: a reattach
        assertThat(storageTasks).isEmpty();
        assertThat(again.conn().frames.get(0)).isEqualTo("{\"type\":\"hello_ack\",\"presenceId\":\""
                + a.presenceId() + "\",\"memberDisplayName\":\"alice\",\"services\":[]}");
        h.session(alice, "s1");
        assertThat(storageTasks).isEmpty();
    }

    @Test
    void shouldSaveOnlyControlPlaneLeasesAddingWhatTheyCountedSinceTheirBaseline() {
        MeshHarness.Peer session = h.session(alice, "s1");
        session.send("{\"type\":\"set_stats\",\"stats\":{\"messagesIn\":50}}");
        close(session);
        assertThat(peerStates.saves).isEmpty();

        MeshHarness.Peer a = hello(alice, "d1");
        a.send("{\"type\":\"set_stats\",\"stats\":{\"messagesIn\":3,\"toolCalls\":2}}");
        a.send("{\"type\":\"set_summary\",\"summary\":\"mine\"}");
        close(a);
        assertThat(peerStates.saves).hasSize(1);
        assertThat(peerStates.saves.get(0).increase()).isEqualTo(new SavedPeerState.Stats(3, 0, 2, 0));
        assertThat(peerStates.saves.get(0).summary()).isEqualTo("mine");

        // seeded from restoredStats (3/0/2/0) by the client, then one more message in
        MeshHarness.Peer next = hello(alice, "d2");
        assertThat(next.conn().frames.get(0)).contains("\"restoredStats\":{\"messagesIn\":3,\"messagesOut\":0,"
                + "\"toolCalls\":2,\"errors\":0}");
        next.send("{\"type\":\"set_stats\",\"stats\":{\"messagesIn\":4,\"toolCalls\":2}}");
        close(next);
        assertThat(peerStates.saves.get(1).increase()).isEqualTo(new SavedPeerState.Stats(1, 0, 0, 0));
        assertThat(peerStates.rows.get(alice.memberId()).cumulativeStats())
                .isEqualTo(new SavedPeerState.Stats(4, 0, 2, 0));

        // a client that did not seed reports below the baseline: all of it is new
        MeshHarness.Peer unseeded = hello(alice, "d3");
        unseeded.send("{\"type\":\"set_stats\",\"stats\":{\"messagesIn\":1}}");
        close(unseeded);
        assertThat(peerStates.saves.get(2).increase()).isEqualTo(new SavedPeerState.Stats(1, 0, 0, 0));
    }

    @Test
    void shouldSaveLeasesStillConnectedAtShutdownButNotThoseInGraceAgain() {
        MeshHarness.Peer inGrace = hello(alice, "d1");
        close(inGrace);
        MeshHarness.Peer live = hello(bob, "d2");
        int before = peerStates.saves.size();

        h.mesh().shutdown();
        runStorage();

        assertThat(peerStates.saves).hasSize(before + 1);
        assertThat(peerStates.rows).containsKey(bob.memberId());
        assertThat(live.conn().closeCode).isEqualTo(1001);
        MeshHarness.Peer back = hello(alice, "d3");
        assertThat(back.conn().frames.get(0)).contains("\"restored\":true");
    }

    @Test
    void shouldNotSaveWhenALeaseIsRevokedOrReplaced() {
        MeshHarness.Peer a = hello(alice, "d1");
        hello(alice, "d1"); // sessionId dedup of a live lease: replaced, no save
        assertThat(a.conn().closeCode).isEqualTo(1000);
        h.mesh().revoke(alice.memberId());
        h.loop.runAll();
        runStorage();
        assertThat(peerStates.saves).isEmpty();
    }

    @Test
    void shouldLogOneLinePerRejectedRequestAndPerUnknownTypeWithoutValues() {
        logs.start();
        for (Class<?> c : REJECTION_LOGGERS) {
            Logger l = (Logger) LoggerFactory.getLogger(c);
            l.setLevel(ch.qos.logback.classic.Level.INFO);
            l.addAppender(logs);
        }
        MeshHarness.Peer a = hello(alice, "d1");
        logs.list.clear();

        a.send("{\"type\":\"set_visible\",\"visible\":\"secret-value\"}");
        a.send("{\"type\":\"no_such_type\",\"payload\":\"secret-value\"}");
        a.send("{\"type\":\"no_such_type\"}");
        a.send("{not json");
        h.loop.runAll();

        List<String> lines = logs.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        assertThat(lines).hasSize(4);
        assertThat(lines.get(0)).endsWith("\"set_visible\" rejected: bad_request");
        assertThat(lines.get(1)).endsWith("message type \"no_such_type\" has no handler: answered unknown_message_type");
        assertThat(lines.get(2)).endsWith("message type \"no_such_type\" has no handler: answered unknown_message_type");
        assertThat(lines.get(3)).endsWith("frame rejected: bad_request");
        assertThat(lines).noneMatch(l -> l.contains("secret-value"));
    }
}
