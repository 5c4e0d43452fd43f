package dev.claudemesh.broker.core.mesh;

import dev.claudemesh.broker.core.port.MeshLoop;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The {@link PeerWatcher}s of one mesh: each gets the peers array when it registers, then again whenever it changes.
 * Lease events (registered, socket closed, ended) send it within {@link #COALESCE_MS} (a burst of them makes one
 * update); other changes (status, summary, groups) are found by comparing the array every {@link #REFRESH_MS} while
 * anyone watches. Nothing runs while nobody watches. <b>Thread:</b> the mesh loop only.
 */
final class PeerWatch implements LeaseListener {

    /** How long lease events are gathered before one update goes out. */
    static final long COALESCE_MS = 50;
    /** How often the array is compared while anyone watches, for the changes no lease event announces. */
    static final long REFRESH_MS = 1_000;

    private final MeshState mesh;
    private final MeshLoop loop;
    private final List<PeerWatcher> watchers = new ArrayList<>();
    private MeshLoop.Cancellable refresh;
    private boolean flushScheduled;
    /** The array the watchers have; null when none watches. */
    private byte[] last;

    PeerWatch(MeshState mesh, MeshLoop loop) {
        this.mesh = mesh;
        this.loop = loop;
    }

    void add(PeerWatcher w) {
        byte[] now = mesh.peersJson();
        if (!w.peers(now)) {
            return;
        }
        if (watchers.isEmpty()) {
            last = now;
            refresh = loop.scheduleAtFixedRate(this::refresh, REFRESH_MS);
        }
        watchers.add(w);
    }

    void remove(PeerWatcher w) {
        if (watchers.remove(w) && watchers.isEmpty()) {
            stop();
        }
    }

    int size() {
        return watchers.size();
    }

    /** The mesh is deleted: every watcher is told, then forgotten. */
    void meshDeleted() {
        List<PeerWatcher> all = new ArrayList<>(watchers);
        watchers.clear();
        stop();
        for (PeerWatcher w : all) {
            w.meshDeleted();
        }
    }

    @Override
    public void leaseRegistered(Lease lease, boolean reattached) {
        changed();
    }

    @Override
    public void socketClosed(Lease lease) {
        changed();
    }

    @Override
    public void leaseEnded(Lease lease, Ending ending) {
        changed();
    }

    private void changed() {
        if (watchers.isEmpty() || flushScheduled) {
            return;
        }
        flushScheduled = true;
        loop.schedule(() -> {
            flushScheduled = false;
            refresh();
        }, COALESCE_MS);
    }

    /** Sends the array to every watcher when it differs from the last one sent. */
    private void refresh() {
        if (watchers.isEmpty()) {
            return;
        }
        byte[] now = mesh.peersJson();
        if (Arrays.equals(now, last)) {
            return;
        }
        last = now;
        watchers.removeIf(w -> !w.peers(now));
        if (watchers.isEmpty()) {
            stop();
        }
    }

    private void stop() {
        if (refresh != null) {
            refresh.cancel();
            refresh = null;
        }
        last = null;
    }
}
