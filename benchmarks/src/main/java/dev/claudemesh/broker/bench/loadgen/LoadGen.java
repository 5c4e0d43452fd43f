package dev.claudemesh.broker.bench.loadgen;

import dev.claudemesh.broker.core.crypto.Ed25519;

import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntFunction;

/**
 * The end-to-end load generator (docs/BENCHMARKS.md): provisions or reads members, opens peers with
 * {@code session_hello}, runs one scenario for a bounded time and reports what it saw. Also the bare relay server
 * ({@code relay-server}), a fixture writer ({@code provision}) and a flight-recording summary ({@code jfr-summary}).
 * Usage: {@link Options#USAGE}.
 */
public final class LoadGen {

    private LoadGen() {
    }

    public static void main(String[] args) throws Exception {
        try {
            if (args.length > 0 && args[0].equals("relay-server")) {
                relayServer(Arrays.copyOfRange(args, 1, args.length));
                return;
            }
            if (args.length > 0 && args[0].equals("jfr-summary")) {
                JfrSummary.main(Arrays.copyOfRange(args, 1, args.length));
                return;
            }
            if (args.length > 0 && (args[0].equals("--help") || args[0].equals("-h"))) {
                System.out.println(Options.USAGE);
                return;
            }
            boolean provision = args.length > 0 && args[0].equals("provision");
            Options o = Options.parse(provision ? Arrays.copyOfRange(args, 1, args.length) : args);
            if (provision) {
                if (o.fixtureOut() == null) {
                    throw new IllegalArgumentException("provision needs --out FILE");
                }
                Topology t = Topology.provision(o.adminUrl(), o.adminToken(), o.peers(), o.meshes(), o.membersPerMesh(),
                        runId());
                t.writeFixture(o.fixtureOut());
                System.out.println("wrote " + o.fixtureOut() + ": " + o.peers() + " members in " + o.meshes()
                        + " mesh(es)");
                return;
            }
            Report r = run(o);
            r.printTable(System.out);
            if (o.json() != null) {
                r.writeJson(o.json());
                System.out.println("  json: " + o.json());
            }
            System.exit(r.errors == 0 && r.lost == 0 && r.duplicates == 0 ? 0 : 3);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
        }
    }

    private static void relayServer(String[] args) throws Exception {
        int port = 7901;
        int threads = Runtime.getRuntime().availableProcessors();
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--port" -> port = Integer.parseInt(args[i + 1]);
                case "--threads" -> threads = Integer.parseInt(args[i + 1]);
                default -> throw new IllegalArgumentException("relay-server: unknown option " + args[i]);
            }
        }
        RelayServer relay = RelayServer.start(port, threads);
        System.out.println("relay listening on ws://127.0.0.1:" + relay.port() + "/ws?peer=N (" + threads
                + " event loops); Ctrl-C to stop");
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("relay: relayed " + relay.relayed.sum() + ", dropped " + relay.dropped.sum());
            relay.close();
            stop.countDown();
        }));
        stop.await();
    }

    static String runId() {
        return Long.toString(ThreadLocalRandom.current().nextLong(36L * 36 * 36 * 36 * 36, 36L * 36 * 36 * 36 * 36 * 36), 36);
    }

    /** Runs {@code o} to completion and returns the report (does not print). */
    static Report run(Options o) throws Exception {
        String runId = runId();
        Options.Scenario s = o.scenario();
        boolean relay = s == Options.Scenario.RELAY;
        Topology topology = null;
        if (!relay) {
            log("members for " + o.peers() + " peers"
                    + (o.fixture() != null ? " from " + o.fixture() : ": provisioning " + o.meshes() + " mesh(es) via "
                    + o.adminUrl()));
            topology = o.fixture() != null ? Topology.readFixture(o.fixture())
                    : Topology.provision(o.adminUrl(), o.adminToken(), o.peers(), o.meshes(), o.membersPerMesh(), runId);
        }
        int meshCount = relay ? 1 : topology.meshes.size();
        Peer[] peers = peers(o, topology, meshCount);
        BrokerProbe probe = new BrokerProbe(o.brokerPid(), o.dbPid(), o.metricsUrl());
        Wire wire = s.traffic() ? new Wire(runId, o.sizeBytes(), runId.hashCode()) : null;

        try (ClientTransport transport = new ClientTransport(o.threads(), o.protocol() == Options.Protocol.BINARY)) {
            Connector connector = new Connector(transport, o.concurrency());
            IntFunction<URI> uri = relay
                    ? i -> URI.create(o.url() + (o.url().getQuery() == null ? "?" : "&") + "peer=" + i)
                    : i -> o.url();
            String[] helloFrames = null;
            if (s == Options.Scenario.CONNECT_STORM) {
                for (int w = 1; w <= o.stormWarmups(); w++) {
                    warmUpStorm(o, transport, runId + "w" + w, uri, w, probe);
                }
                // Signed before the clock starts so that the storm measures the broker, not the generator's signing.
                helloFrames = new String[peers.length];
                long now = System.currentTimeMillis();
                Arrays.parallelSetAll(helloFrames, i -> hello(peers[i], runId, now, s));
            }
            String[] signed = helloFrames;
            IntFunction<String> hello = relay ? null
                    : signed != null ? i -> signed[i] : i -> hello(peers[i], runId, System.currentTimeMillis(), s);

            Report r;
            List<Peer> all = List.of(peers);
            if (s == Options.Scenario.CONNECT_STORM) {
                r = connectStorm(o, wire, connector, all, uri, hello, probe);
            } else if (s == Options.Scenario.IDLE) {
                r = idle(o, connector, all, uri, hello, probe);
            } else {
                log("opening " + peers.length + " peers");
                boolean ok = connector.openAll(all, uri, hello, Math.max(120_000, peers.length * 20L));
                if (!ok) {
                    throw new IllegalStateException("only " + connector.ready() + " of " + peers.length
                            + " peers connected: " + describe(connector.failures()));
                }
                Thread.sleep(500); // let the peer_joined fan-out of the ramp pass before measuring
                TrafficRun run = new TrafficRun(o, peers, meshCount, wire, probe);
                connector.then = run;
                log(String.format(Locale.ROOT, "running %s for %d ms (+%d ms warmup), %s", s, o.durationMs(),
                        o.warmupMs(), o.openLoop() ? "open loop at " + o.ratePerSec() + " msg/s"
                                : "closed loop, window " + o.window()));
                r = run.run();
            }
            r.transport = transport.epoll ? "epoll" : "nio";
            ClientTransport.closeAll(all, 5_000);
            return r;
        }
    }

    private static Peer[] peers(Options o, Topology t, int meshCount) {
        Peer[] peers = new Peer[o.peers()];
        if (t == null) {
            for (int i = 0; i < peers.length; i++) {
                peers[i] = new Peer(i, 0, null, null, false);
            }
            return peers;
        }
        int[] localIndex = new int[meshCount];
        Topology.Member[] parents = new Topology.Member[peers.length];
        int[] meshOf = new int[peers.length];
        for (int i = 0; i < peers.length; i++) {
            int m = Topology.meshOf(i, peers.length, meshCount);
            List<Topology.Member> members = t.meshes.get(m).members();
            meshOf[i] = m;
            parents[i] = members.get(localIndex[m]++ % members.size());
        }
        if (o.scenario().traffic() && o.scenario() != Options.Scenario.RELAY) {
            for (int m = 0; m < meshCount; m++) {
                if (localIndex[m] < 2) {
                    throw new IllegalArgumentException("mesh " + m + " would get " + localIndex[m]
                            + " peer(s); every mesh needs >= 2 (lower --meshes)");
                }
            }
        }
        Ed25519.KeyPair[] sessions = new Ed25519.KeyPair[peers.length];
        Arrays.parallelSetAll(sessions, i -> t.sessionKeys(parents[i], i));
        double f = o.groupFraction();
        for (int i = 0; i < peers.length; i++) {
            boolean inGroup = o.scenario() == Options.Scenario.GROUP && Math.floor((i + 1) * f) > Math.floor(i * f);
            peers[i] = new Peer(i, meshOf[i], parents[i], sessions[i], inGroup);
        }
        return peers;
    }

    private static String hello(Peer p, String runId, long nowMs, Options.Scenario s) {
        return Wire.sessionHello(p.member, p.session, "lg-" + runId + "-" + p.index, nowMs, "lg-" + p.index,
                p.inGroup ? TrafficRun.GROUP_JSON : null);
    }

    /**
     * One discarded storm of the measured storm's shape on meshes provisioned for it alone, then its peers closed (their
     * leases go to grace in those meshes, not in the measured ones): the client's connect, upgrade and hello path gets
     * compiled before the measured storm, so that the generator's JIT does not compete with the broker for the cores
     * during it (on 2 cores it took half the generator's CPU in the window). Hellos are signed as in the measured storm.
     * The probe reads around it too, so that its own code (reading {@code /proc}) is compiled before the measured
     * window rather than inside it, and the warm-up's CPU per hello is logged.
     */
    private static void warmUpStorm(Options o, ClientTransport transport, String runId, IntFunction<URI> uri, int n,
                                    BrokerProbe probe) throws Exception {
        Topology t = Topology.provision(o.adminUrl(), o.adminToken(), o.peers(), o.meshes(), o.membersPerMesh(), runId);
        Peer[] peers = peers(o, t, t.meshes.size());
        String[] signed = new String[peers.length];
        long now = System.currentTimeMillis();
        Arrays.parallelSetAll(signed, i -> hello(peers[i], runId, now, o.scenario()));
        Connector c = new Connector(transport, o.concurrency());
        List<Peer> all = List.of(peers);
        BrokerProbe.Sample before = probe.sample();
        c.openAll(all, uri, i -> signed[i], Math.max(o.durationMs(), 1_000));
        BrokerProbe.Sample after = probe.sample();
        double perHello = 1e6 / Math.max(1, c.ready());
        log(String.format(Locale.ROOT, "warm-up storm %d: %d of %d hellos, %.0f/s, CPU µs/hello broker %.0f, "
                        + "generator %.0f (discarded)", n, c.ready(), peers.length, c.hellosPerSec(),
                (after.brokerCpuS() - before.brokerCpuS()) * perHello, (after.selfCpuS() - before.selfCpuS()) * perHello));
        ClientTransport.closeAll(all, 5_000);
        Thread.sleep(1_000); // let the broker take the closes before the measured storm starts
    }

    private static Report connectStorm(Options o, Wire wire, Connector connector, List<Peer> peers,
                                       IntFunction<URI> uri, IntFunction<String> hello, BrokerProbe probe)
            throws InterruptedException {
        log("connect storm: " + peers.size() + " peers, " + o.concurrency() + " at a time");
        BrokerProbe.Sample before = probe.sample();
        connector.openAll(peers, uri, hello, Math.max(o.durationMs(), 1_000));
        BrokerProbe.Sample after = probe.sample();
        Report r = Report.base(o, wire);
        r.hellosOk = connector.ready();
        r.helloFailures = peers.size() - connector.ready();
        r.errors = r.helloFailures;
        r.sent = peers.size();
        r.acked = connector.ready();
        r.hellosPerSec = connector.hellosPerSec();
        r.durationS = connector.spanSeconds();
        r.helloLatencyMs = Report.Latency.of(connector.helloLatency());
        r.applyProbes(before, after);
        r.perMessage(r.hellosOk);
        r.stormWarmups = o.stormWarmups();
        connector.failures().forEach((k, v) -> r.errorSamples.put(k, v.sum()));
        return r;
    }

    private static Report idle(Options o, Connector connector, List<Peer> peers, IntFunction<URI> uri,
                               IntFunction<String> hello, BrokerProbe probe) throws InterruptedException {
        Report r = Report.base(o, null);
        long heapBefore = probe.heapAfterGc();
        r.gcForced = probe.hasPid();
        long rssBefore = probe.hasPid() ? BrokerProbe.rssBytes(o.brokerPid()) : -1;
        log("idle: opening " + peers.size() + " peers (" + o.concurrency() + " at a time); heap before "
                + heapBefore / 1048576 + " MB");
        BrokerProbe.Sample before = probe.sample();
        connector.openAll(peers, uri, hello, Math.max(600_000, o.durationMs()));
        r.hellosOk = connector.ready();
        r.helloFailures = peers.size() - connector.ready();
        r.errors = r.helloFailures;
        r.hellosPerSec = connector.hellosPerSec();
        r.helloLatencyMs = Report.Latency.of(connector.helloLatency());
        log("idle: " + r.hellosOk + " peers connected; holding " + o.durationMs() + " ms");
        Thread.sleep(o.durationMs());
        long heapAfter = probe.heapAfterGc();
        BrokerProbe.Sample after = probe.sample();
        r.sent = peers.size();
        r.acked = r.hellosOk;
        r.durationS = o.durationMs() / 1000.0;
        if (heapBefore >= 0 && heapAfter >= 0 && r.hellosOk > 0) {
            r.heapBeforeMb = heapBefore / 1048576.0;
            r.heapAfterMb = heapAfter / 1048576.0;
            r.heapPerPeerBytes = (heapAfter - heapBefore) / (double) r.hellosOk;
        }
        if (rssBefore >= 0 && after.brokerRssBytes() >= 0 && r.hellosOk > 0) {
            r.rssBeforeMb = rssBefore / 1048576.0;
            r.rssPerPeerBytes = (after.brokerRssBytes() - rssBefore) / (double) r.hellosOk;
        }
        long stillOpen = peers.stream().filter(Peer::ready).count();
        if (stillOpen < r.hellosOk) {
            r.errors += r.hellosOk - stillOpen;
            r.errorSamples.put("peers closed while idle", r.hellosOk - stillOpen);
        }
        r.applyProbes(before, after);
        connector.failures().forEach((k, v) -> r.errorSamples.merge(k, v.sum(), Long::sum));
        return r;
    }

    private static String describe(Map<String, LongAdder> failures) {
        List<String> out = new ArrayList<>();
        failures.forEach((k, v) -> out.add(v.sum() + "x " + k));
        return String.join("; ", out);
    }

    private static void log(String s) {
        System.err.printf(Locale.ROOT, "[loadgen %tT.%<tL] %s%n", System.currentTimeMillis(), s);
    }
}
