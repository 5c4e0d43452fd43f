package dev.claudemesh.broker.core.unsupported;

import dev.claudemesh.broker.core.envelope.Inbound;
import dev.claudemesh.broker.core.mesh.MeshContext;
import dev.claudemesh.broker.core.mesh.MeshService;
import dev.claudemesh.broker.core.mesh.PeerSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Answers every message type of an unsupported {@link Feature} (PROTOCOL-MESH §15) with
 * {@code {"type":"error","code":"unsupported_feature","message":"<type>: <feature> is not supported by this broker
 * (<why>)","_reqId"?}}, so that the CLI's list verbs report a failure instead of presenting "nothing" as an answer.
 * Each one is counted in {@code broker_requests_total{type}} and {@code broker_request_errors_total{type,
 * code="unsupported_feature"}} — the fire-and-forget types too, which get no frame ({@link Feature#silentTypes()}).
 * Logged once per type at INFO, later ones at DEBUG. Thread-safe.
 */
public final class UnsupportedFeatures implements MeshService<MeshContext> {

    private static final Logger log = LoggerFactory.getLogger(UnsupportedFeatures.class);
    /** The error code. */
    public static final String CODE = "unsupported_feature";

    private final Set<String> logged = ConcurrentHashMap.newKeySet();

    @Override
    public String name() {
        return "unsupported";
    }

    @Override
    public void registerHandlers(Registrar<MeshContext> r) {
        for (Feature f : Feature.values()) {
            for (String type : f.answeredTypes()) {
                r.handle(type, (mesh, from, in) -> {
                    note(mesh, from, in, f);
                    mesh.error(from, in, CODE, f.message(type));
                });
            }
            for (String type : f.silentTypes()) {
                r.handle(type, (mesh, from, in) -> {
                    note(mesh, from, in, f);
                    mesh.metrics().requestError(type, CODE);
                });
            }
        }
    }

    @Override
    public MeshContext createMeshState(MeshContext mesh) {
        return mesh;
    }

    private void note(MeshContext mesh, PeerSession from, Inbound in, Feature f) {
        if (logged.add(in.rawType)) {
            log.info("mesh {} conn {}: {} asked for {}: unsupported_feature (later ones at DEBUG)", mesh.meshId(),
                    from.connection().id(), in.rawType, f.title());
        } else if (log.isDebugEnabled()) {
            log.debug("mesh {} conn {}: {}: unsupported_feature", mesh.meshId(), from.connection().id(), in.rawType);
        }
    }
}
