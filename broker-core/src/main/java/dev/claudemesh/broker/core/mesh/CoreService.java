package dev.claudemesh.broker.core.mesh;

/**
 * The core protocol's message types (PROTOCOL §4, §5), registered like any mesh service: {@code send},
 * {@code client_ack}, {@code list_peers}, {@code set_status}, {@code set_summary}, {@code join_group},
 * {@code leave_group}. Its per-mesh state is the mesh's {@link MeshCore}. Stateless; thread-safe.
 */
final class CoreService implements MeshService<MeshCore> {

    static final CoreService INSTANCE = new CoreService();

    private CoreService() {
    }

    @Override
    public String name() {
        return "core";
    }

    @Override
    public void registerHandlers(Registrar<MeshCore> r) {
        r.handle("send", new SendHandler());
        r.handle("client_ack", new ClientAckHandler());
        r.handle("list_peers", new ListPeersHandler());
        r.handle("set_status", new SetStatusHandler());
        r.handle("set_summary", new SetSummaryHandler());
        r.handle("join_group", new JoinGroupHandler());
        r.handle("leave_group", new LeaveGroupHandler());
    }

    /** The mesh's core state is built with the mesh, before any service: it is the context itself. */
    @Override
    public MeshCore createMeshState(MeshContext mesh) {
        return (MeshCore) mesh;
    }
}
