package dev.claudemesh.broker.core.mesh;

import dev.claudemesh.broker.core.envelope.Frames;
import dev.claudemesh.broker.core.envelope.Inbound;
import dev.claudemesh.broker.core.envelope.JsonNode;
import dev.claudemesh.broker.core.envelope.JsonOut;
import dev.claudemesh.broker.core.testing.Identities;
import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The message-handler registry and the service SPI, with a small "notes" service of the shape the mesh features
 * take: its own per-mesh state, its own (blocking) store port called through {@link MeshContext#storage}, replies
 * after the store answered, arbitrary JSON fields read from the frame and written back, lease events.
 */
class MessageRegistryTest {

    /** The notes service's store port: blocking, like a JDBC implementation in broker-db. */
    interface NoteStore {
        void put(String meshId, String key, String valueJson);
    }

    /** Records calls. */
    static final class RecordingStore implements NoteStore {
        final List<String> calls = new ArrayList<>();

        @Override
        public void put(String meshId, String key, String valueJson) {
            calls.add(meshId + " " + key + "=" + valueJson);
        }
    }

    /** Per-mesh state of the notes service; hears lease events. */
    static final class Notes implements LeaseListener {
        final MeshContext mesh;
        final List<String> events = new ArrayList<>();

        Notes(MeshContext mesh) {
            this.mesh = mesh;
        }

        @Override
        public void leaseRegistered(Lease lease, boolean reattached) {
            events.add((reattached ? "reattached " : "registered ") + lease.presenceId());
        }

        @Override
        public void socketClosed(Lease lease) {
            events.add("grace " + lease.presenceId());
        }

        @Override
        public void leaseEnded(Lease lease, Ending ending) {
            events.add(ending + " " + lease.presenceId());
        }
    }

    static final class NotesService implements MeshService<Notes> {
        final NoteStore store;
        int created;

        NotesService(NoteStore store) {
            this.store = store;
        }

        @Override
        public String name() {
            return "notes";
        }

        @Override
        public void registerHandlers(Registrar<Notes> r) {
            r.handle("note_put", (notes, from, in) -> {
                JsonNode.ObjectNode body = in.body();
                String key = body.string("key");
                JsonNode value = body.get("value");
                if (key == null || value == null) {
                    notes.mesh.error(from, in, "bad_request", "note_put needs a key and a value");
                    return;
                }
                String valueJson = new JsonOut().value(value).toString();
                notes.mesh.onLoop(notes.mesh.storage(() -> {
                    store.put(notes.mesh.meshId(), key, valueJson);
                    return key;
                }), (stored, error) -> {
                    JsonOut o = Frames.beginReply("note_stored").field("key", stored).name("value").value(value);
                    from.reply(Frames.endReply(o, in));
                });
            });
            r.handle("note_boom", (notes, from, in) -> {
                throw new IllegalStateException("boom");
            });
        }

        @Override
        public Notes createMeshState(MeshContext mesh) {
            created++;
            return new Notes(mesh);
        }
    }

    /** The storage pool, run by hand. */
    private final ArrayDeque<Runnable> storageTasks = new ArrayDeque<>();
    private final Executor storage = storageTasks::add;
    private final RecordingStore store = new RecordingStore();
    private final NotesService notes = new NotesService(store);
    private final MeshHarness h = new MeshHarness(storage, List.of(notes));
    private final Identities.MemberKeys alice = h.member("alice");

    private void runStorage() {
        Runnable r;
        while ((r = storageTasks.poll()) != null) {
            r.run();
        }
    }

    private Notes notesOf() {
        return (Notes) h.mesh().serviceState(1);
    }

    @Test
    void shouldServeAServiceTypeWithArbitraryJsonAndReplyAfterTheStoreAnswered() {
        MeshHarness.Peer a = h.session(alice, "s-a");
        String value = "{\"n\":1.50e3,\"z\":[true,null,\"x\\u00e9\"],\"a\":{\"b\":-2,\"a\":0.1}}";
        a.send("{\"type\":\"note_put\",\"key\":\"k1\",\"value\":" + value + ",\"_reqId\":7}");
        a.send("{\"type\":\"note_put\",\"key\":\"k2\",\"value\":\"second\",\"_reqId\":\"r8\"}");
        h.loop.runAll();
        assertThat(a.conn().framesContaining("note_stored")).isEmpty();
        assertThat(store.calls).isEmpty();

        runStorage(); // the storage thread: calls in submission order
        assertThat(store.calls).containsExactly(
                MeshHarness.MESH + " k1=" + "{\"n\":1.50e3,\"z\":[true,null,\"xé\"],\"a\":{\"b\":-2,\"a\":0.1}}",
                MeshHarness.MESH + " k2=\"second\"");
        assertThat(a.conn().framesContaining("note_stored")).isEmpty(); // not on the storage thread
        h.loop.runAll();
        assertThat(a.conn().framesContaining("note_stored")).containsExactly(
                "{\"type\":\"note_stored\",\"key\":\"k1\",\"value\":{\"n\":1.50e3,\"z\":[true,null,\"xé\"],"
                        + "\"a\":{\"b\":-2,\"a\":0.1}},\"_reqId\":7}",
                "{\"type\":\"note_stored\",\"key\":\"k2\",\"value\":\"second\",\"_reqId\":\"r8\"}");
        assertThat(h.metrics.requests().get("note_put").sum()).isEqualTo(2);
    }

    @Test
    void shouldAnswerBadInputWithTheErrorFrameAndCountIt() {
        MeshHarness.Peer a = h.session(alice, "s-a");
        a.send("{\"type\":\"note_put\",\"value\":1,\"_reqId\":\"r1\"}");
        h.loop.runAll();
        assertThat(a.conn().last()).isEqualTo("{\"type\":\"error\",\"code\":\"bad_request\","
                + "\"message\":\"note_put needs a key and a value\",\"_reqId\":\"r1\"}");
        assertThat(h.metrics.requestErrors().get("note_put").get("bad_request").sum()).isEqualTo(1);
        assertThat(storageTasks).isEmpty();
    }

    @Test
    void shouldAnswerAFailingHandlerWithInternalErrorAndKeepTheSocket() {
        MeshHarness.Peer a = h.session(alice, "s-a");
        a.send("{\"type\":\"note_boom\",\"_reqId\":\"r2\"}");
        a.send("{\"type\":\"list_peers\"}");
        h.loop.runAll();
        assertThat(a.conn().framesContaining("\"type\":\"error\"")).containsExactly("{\"type\":\"error\","
                + "\"code\":\"internal_error\",\"message\":\"the broker could not handle this note_boom\","
                + "\"_reqId\":\"r2\"}");
        assertThat(a.conn().last()).contains("peers_list");
        assertThat(a.conn().closeCode).isNull();
    }

    @Test
    void shouldAnswerUnknownTypesAndCountThemWithABoundedLabel() {
        MeshHarness.Peer a = h.session(alice, "s-a");
        a.send("{\"type\":\"set_state\",\"key\":\"k\",\"value\":1,\"_reqId\":\"r1\"}");
        a.send("{\"type\":\"no-such-type-" + "x".repeat(100) + "\"}");
        a.send("{\"type\":\"another\",\"_reqId\":5}");
        a.send("{\"_reqId\":6}");
        h.loop.runAll();

        List<String> errors = a.conn().framesContaining("unknown_message_type");
        assertThat(errors).hasSize(4);
        assertThat(errors.get(0)).isEqualTo("{\"type\":\"error\",\"code\":\"unknown_message_type\","
                + "\"message\":\"unknown message type: set_state\",\"_reqId\":\"r1\"}");
        assertThat(errors.get(2)).endsWith(",\"_reqId\":5}");
        assertThat(errors.get(3)).isEqualTo("{\"type\":\"error\",\"code\":\"unknown_message_type\","
                + "\"message\":\"unknown message type: (none)\",\"_reqId\":6}");
        assertThat(h.metrics.messagesUnknown()).containsOnlyKeys("set_state", UnknownTypes.OTHER);
        assertThat(h.metrics.messagesUnknown().get("set_state").sum()).isEqualTo(1);
        assertThat(h.metrics.messagesUnknown().get(UnknownTypes.OTHER).sum()).isEqualTo(3);
        assertThat(UnknownTypes.printable("a\"b\nc")).isEqualTo("\"a?b?c\"");
    }

    @Test
    void shouldCreateServiceStateOncePerMeshOnTheLoopAndTellItOfLeaseEvents() {
        MeshHarness.Peer a = h.session(alice, "s-a");
        MeshHarness.Peer b = h.session(h.member("bob"), "s-b");
        assertThat(notes.created).isEqualTo(1);
        Notes state = notesOf();
        assertThat(state.mesh).isSameAs(h.mesh().core);

        b.session().onClosed();
        h.loop.runAll();
        MeshHarness.Peer b2 = h.session(h.member("bob2"), "s-b2");
        h.loop.advance(91_000);

        assertThat(state.events).containsExactly("registered " + a.presenceId(), "registered " + b.presenceId(),
                "grace " + b.presenceId(), "registered " + b2.presenceId(),
                "GRACE_EXPIRED " + b.presenceId());
        assertThat(notes.created).isEqualTo(1);
    }

    @Test
    void shouldRouteCoreTypesByEnumAndServiceTypesByName() {
        HandlerRegistry registry = h.broker.registry;
        Inbound send = new Inbound();
        send.type = Inbound.Type.SEND;
        send.rawType = "send";
        assertThat(registry.route(send).type).isEqualTo("send");
        assertThat(registry.route(send).service).isZero();
        Inbound put = new Inbound();
        put.type = Inbound.Type.UNKNOWN;
        put.rawType = "note_put";
        assertThat(registry.route(put).service).isEqualTo(1);
        put.rawType = "note_get";
        assertThat(registry.route(put)).isNull();
        assertThat(registry.types()).contains("send", "client_ack", "list_peers", "set_status", "set_summary",
                "join_group", "leave_group", "note_put", "note_boom");
    }

    @Test
    void shouldRefuseATypeRegisteredTwiceOrAnAuthenticationType() {
        MeshService<Object> again = service("send");
        assertThatThrownBy(() -> new MeshHarness(storage, List.of(again)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("send");
        assertThatThrownBy(() -> new MeshHarness(storage, List.of(service("hello"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("hello");
    }

    @Test
    void shouldKeepTheCoreAndOtherListenersGoingWhenAServiceListenerThrows() {
        MeshService<LeaseListener> faulty = new MeshService<>() {
            @Override
            public String name() {
                return "faulty";
            }

            @Override
            public void registerHandlers(Registrar<LeaseListener> r) {
            }

            @Override
            public LeaseListener createMeshState(MeshContext mesh) {
                return new LeaseListener() {
                    @Override
                    public void leaseRegistered(Lease lease, boolean reattached) {
                        throw new IllegalStateException("listener bug");
                    }
                };
            }
        };
        NotesService later = new NotesService(store);
        MeshHarness withFaulty = new MeshHarness(storage, List.of(faulty, later));
        MeshHarness.Peer a = withFaulty.session(withFaulty.member("alice"), "s-a");

        assertThat(a.conn().frames.get(0)).contains("hello_ack");
        assertThat(((Notes) withFaulty.mesh().serviceState(2)).events).containsExactly("registered " + a.presenceId());
        a.send("{\"type\":\"list_peers\"}");
        withFaulty.loop.runAll();
        assertThat(a.conn().last()).contains("peers_list");
    }

    private static MeshService<Object> service(String type) {
        return new MeshService<>() {
            @Override
            public String name() {
                return "dup";
            }

            @Override
            public void registerHandlers(Registrar<Object> r) {
                r.handle(type, (state, from, in) -> { });
            }

            @Override
            public Object createMeshState(MeshContext mesh) {
                return new Object();
            }
        };
    }
}
