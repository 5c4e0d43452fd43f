package dev.claudemesh.broker.core.port;

/** Chooses the {@link MeshLoop} that owns a mesh: the same loop for the same mesh id, for the process's life. */
@FunctionalInterface
public interface LoopProvider {

    MeshLoop loopFor(String meshId);
}
