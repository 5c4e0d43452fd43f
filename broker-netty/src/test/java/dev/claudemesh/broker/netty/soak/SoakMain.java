package dev.claudemesh.broker.netty.soak;

import dev.claudemesh.broker.core.crypto.Ed25519;
import dev.claudemesh.broker.core.testing.Identities;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Connection storm and soak against a real broker (docs/RELIABILITY.md, "Soak"). Not a test: run it by hand.
 *
 * <pre>
 * ./mvnw -o -q -pl broker-netty package -DskipTests
 * ./mvnw -o -q -pl broker-netty dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/soak.cp
 * ulimit -n 65536   # each side holds one descriptor per peer
 * java -cp broker-netty/target/test-classes:broker-netty/target/classes:$(cat broker-netty/target/soak.cp) \
 *     dev.claudemesh.broker.netty.soak.SoakMain --peers 20000 --duration 10m
 * </pre>
 *
 * <p>It starts the broker from {@code broker-netty/target/claudemesh-broker.jar} (embedded PostgreSQL in a temporary
 * directory, grace shortened to {@code --grace-ms}) unless {@code --attach URL --pid PID --admin-token T} names a
 * running one; provisions meshes and members through the admin API; then, until {@code --duration} has passed,
 * repeats a wave: every session not connected connects and says {@code session_hello} (at most
 * {@code --handshakes} at a time), all exchange DMs (and a few multicasts) for {@code --traffic-s} seconds at
 * {@code --dm-rate} per second, and {@code --churn} of them disconnect (half politely, half by dropping TCP). At the
 * end every session reconnects until every acked DM has been pushed, then all disconnect; after the grace period it
 * checks: no lease left (admin peers lists empty), {@code broker_connections_active} back to its value before the
 * storm, open file descriptors back to within {@code --fd-slack}, heap after a full GC back to within
 * {@code --heap-slack-mb}. Prints one {@code [soak]} report line and exits 0 when every check passed, 1 otherwise.</p>
 */
public final class SoakMain {

    private SoakMain() {
    }

    /** Command-line options, with defaults. */
    static final class Options {
        int peers = 20_000;
        long durationMs = 10 * 60_000L;
        int peersPerMesh = 500;
        int sessionsPerMember = 50;
        int handshakes = 256;
        int trafficSeconds = 10;
        double churn = 0.5;
        int dmRate = 500;
        int payloadBytes = 256;
        long graceMs = 10_000;
        String heap = "2g";
        int sourceAddresses = 4;
        long fdSlack = 64;
        long heapSlackMb = 64;
        Path jar = Path.of("broker-netty/target/claudemesh-broker.jar");
        String databaseUrl;
        String attach;
        long pid;
        String adminToken;

        static Options parse(String[] args) {
            Options o = new Options();
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                String v = i + 1 < args.length ? args[i + 1] : null;
                switch (a) {
                    case "--peers" -> o.peers = Integer.parseInt(v);
                    case "--duration" -> o.durationMs = parseDuration(v);
                    case "--peers-per-mesh" -> o.peersPerMesh = Integer.parseInt(v);
                    case "--sessions-per-member" -> o.sessionsPerMember = Integer.parseInt(v);
                    case "--handshakes" -> o.handshakes = Integer.parseInt(v);
                    case "--traffic-s" -> o.trafficSeconds = Integer.parseInt(v);
                    case "--churn" -> o.churn = Double.parseDouble(v);
                    case "--dm-rate" -> o.dmRate = Integer.parseInt(v);
                    case "--payload-bytes" -> o.payloadBytes = Integer.parseInt(v);
                    case "--grace-ms" -> o.graceMs = Long.parseLong(v);
                    case "--heap" -> o.heap = v;
                    case "--source-addresses" -> o.sourceAddresses = Integer.parseInt(v);
                    case "--fd-slack" -> o.fdSlack = Long.parseLong(v);
                    case "--heap-slack-mb" -> o.heapSlackMb = Long.parseLong(v);
                    case "--jar" -> o.jar = Path.of(v);
                    case "--database-url" -> o.databaseUrl = v;
                    case "--attach" -> o.attach = v;
                    case "--pid" -> o.pid = Long.parseLong(v);
                    case "--admin-token" -> o.adminToken = v;
                    default -> throw new IllegalArgumentException("unknown option " + a + " (see the class comment)");
                }
                i++;
            }
            if (o.attach != null && (o.pid <= 0 || o.adminToken == null)) {
                throw new IllegalArgumentException("--attach needs --pid and --admin-token");
            }
            return o;
        }

        /** {@code 90s}, {@code 2m}, {@code 1h} or milliseconds. */
        static long parseDuration(String s) {
            String t = s.trim().toLowerCase(Locale.ROOT);
            if (t.endsWith("ms")) {
                return Long.parseLong(t.substring(0, t.length() - 2));
            }
            long unit = switch (t.charAt(t.length() - 1)) {
                case 's' -> 1_000L;
                case 'm' -> 60_000L;
                case 'h' -> 3_600_000L;
                default -> 0L;
            };
            return unit == 0 ? Long.parseLong(t) : Long.parseLong(t.substring(0, t.length() - 1)) * unit;
        }
    }

    public static void main(String[] args) throws Exception {
        Options o = Options.parse(args);
        System.exit(new Soak(o).run() ? 0 : 1);
    }

    /** One run. */
    private static final class Soak {
        private final Options o;
        private final SoakLedger ledger = new SoakLedger();
        private final Random random = new Random();
        private final List<SoakPeer> peers = new ArrayList<>();
        private final List<List<SoakPeer>> peersByMesh = new ArrayList<>();
        private final List<String> meshIds = new ArrayList<>();
        private final String nonce = Base64.getEncoder().encodeToString(new byte[24]);
        private final String payload;
        private SoakBroker broker;
        private EventLoopGroup group;
        private Bootstrap bootstrap;
        private URI uri;

        Soak(Options o) {
            this.o = o;
            byte[] p = new byte[o.payloadBytes];
            new Random(1).nextBytes(p);
            this.payload = Base64.getEncoder().encodeToString(p);
        }

        boolean run() throws Exception {
            long t0 = System.currentTimeMillis();
            Path work = Files.createTempDirectory("claudemesh-soak");
            int meshes = (o.peers + o.peersPerMesh - 1) / o.peersPerMesh;
            if (o.attach != null) {
                broker = SoakBroker.attach(o.attach, o.adminToken, o.pid, o.graceMs);
            } else {
                Map<String, String> env = new HashMap<>();
                env.put("MAX_CONNECTIONS_PER_MESH", String.valueOf(o.peersPerMesh + 10));
                if (o.databaseUrl != null) {
                    env.put("DATABASE_URL", o.databaseUrl);
                }
                broker = SoakBroker.launch(o.jar, o.heap, env, o.graceMs, work);
                log("broker pid %d on port %d (log %s)", broker.pid, broker.port, work.resolve("broker.log"));
            }
            group = new MultiThreadIoEventLoopGroup(Math.max(2, Runtime.getRuntime().availableProcessors()),
                    NioIoHandler.newFactory());
            try {
                return soak(meshes, t0);
            } finally {
                for (SoakPeer p : peers) {
                    p.disconnect(false);
                }
                group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(10_000);
                broker.close();
            }
        }

        private boolean soak(int meshes, long t0) throws Exception {
            uri = URI.create("ws://127.0.0.1:" + broker.port + "/ws");
            bootstrap = new Bootstrap().group(group).channel(NioSocketChannel.class)
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 30_000);
            provision(meshes);
            long activeBefore = (long) broker.metric("broker_connections_active");
            long fdsBefore = broker.openFds();
            long heapBefore = broker.heapAfterGcBytes();
            log("provisioned %d meshes, %d sessions; before: connections_active=%d fds=%d heapAfterGc=%d MiB",
                    meshes, peers.size(), activeBefore, fdsBefore, heapBefore >> 20);

            long deadline = t0 + o.durationMs;
            int waves = 0;
            long peakActive = 0;
            long peakFds = 0;
            while (System.currentTimeMillis() < deadline) {
                waves++;
                long c0 = System.currentTimeMillis();
                int ok = connectAll();
                long connectMs = System.currentTimeMillis() - c0;
                peakActive = Math.max(peakActive, (long) broker.metric("broker_connections_active"));
                peakFds = Math.max(peakFds, broker.openFds());
                traffic(Math.min(o.trafficSeconds * 1000L, Math.max(1_000, deadline - System.currentTimeMillis())));
                awaitAnswers(30_000);
                int dropped = churn(o.churn);
                log("wave %d: %d connected in %d ms, dms sent=%d acked=%d pushes=%d, %d disconnected", waves, ok,
                        connectMs, ledger.sent(), ledger.acked.sum(), ledger.pushes.sum(), dropped);
            }

            // drain: everyone back until every acked DM was pushed, then everyone leaves
            connectAll();
            long drainDeadline = System.currentTimeMillis() + 120_000;
            while (ledger.undelivered() > 0 && System.currentTimeMillis() < drainDeadline) {
                Thread.sleep(200);
            }
            for (SoakPeer p : peers) {
                p.disconnect(random.nextBoolean());
            }
            for (SoakPeer p : peers) {
                p.awaitClosed(10_000);
            }
            Thread.sleep(o.graceMs + 5_000);

            long leases = 0;
            for (String mesh : meshIds) {
                HttpResponse<String> r = broker.get("/admin/meshes/" + mesh + "/peers");
                leases += countPeers(r.body());
            }
            long activeAfter = (long) broker.metric("broker_connections_active");
            long fdsAfter = broker.openFds();
            long heapAfter = broker.heapAfterGcBytes();
            long lost = ledger.undelivered();
            boolean leasesOk = leases == 0;
            boolean activeOk = activeAfter == activeBefore;
            boolean fdsOk = fdsAfter <= fdsBefore + o.fdSlack;
            boolean heapOk = heapAfter <= heapBefore + (o.heapSlackMb << 20);
            boolean lostOk = lost == 0 && ledger.wrongRecipient.sum() == 0;
            boolean pass = leasesOk && activeOk && fdsOk && heapOk && lostOk;
            System.out.printf("[soak] %s: peers=%d meshes=%d duration=%ds waves=%d connects=%d helloFailures=%d"
                            + " connectFailures=%d | dms sent=%d acked=%d rejected=%d delivered=%d lost=%d"
                            + " duplicates=%d wrongRecipient=%d multicasts sent=%d pushed=%d | peak"
                            + " connections_active=%d fds=%d | after grace: leases=%d%s connections_active %d->%d%s"
                            + " fds %d->%d%s heapAfterGc %d->%d MiB%s | errors=%s%n",
                    pass ? "PASS" : "FAIL", peers.size(), meshIds.size(), (System.currentTimeMillis() - t0) / 1000,
                    waves, ledger.connects.sum(), ledger.helloFailures.sum(), ledger.connectFailures.sum(),
                    ledger.sent(), ledger.acked.sum(), ledger.rejected.sum(), ledger.delivered(), lost,
                    ledger.duplicates(), ledger.wrongRecipient.sum(), ledger.multicastsSent.sum(),
                    ledger.multicastPushes.sum(), peakActive, peakFds, leases, mark(leasesOk), activeBefore,
                    activeAfter, mark(activeOk), fdsBefore, fdsAfter, mark(fdsOk), heapBefore >> 20, heapAfter >> 20,
                    mark(heapOk), ledger.errors());
            return pass;
        }

        private static String mark(boolean ok) {
            return ok ? "" : "(!)";
        }

        private static long countPeers(String peersJson) {
            long n = 0;
            int i = 0;
            while ((i = peersJson.indexOf("\"peerRole\"", i)) >= 0) {
                n++;
                i++;
            }
            return n;
        }

        private void provision(int meshes) throws Exception {
            for (int m = 0; m < meshes; m++) {
                String slug = "soak-" + Long.toHexString(System.nanoTime()) + "-" + m;
                HttpResponse<String> r = broker.send("POST", "/admin/meshes",
                        "{\"name\":\"" + slug + "\",\"slug\":\"" + slug + "\"}");
                if (r.statusCode() != 201) {
                    throw new IllegalStateException("create mesh: " + r.statusCode() + " " + r.body());
                }
                meshIds.add(SoakLedger.field(r.body(), "id"));
                peersByMesh.add(new ArrayList<>());
            }
            Identities.MemberKeys member = null;
            for (int i = 0; i < o.peers; i++) {
                int mesh = i / o.peersPerMesh;
                if (i % o.peersPerMesh % o.sessionsPerMember == 0) {
                    Ed25519.KeyPair kp = Ed25519.generate();
                    HttpResponse<String> r = broker.send("POST", "/admin/meshes/" + meshIds.get(mesh) + "/members",
                            "{\"pubkey\":\"" + kp.publicKeyHex() + "\",\"displayName\":\"m" + i + "\"}");
                    if (r.statusCode() != 201) {
                        throw new IllegalStateException("add member: " + r.statusCode() + " " + r.body());
                    }
                    member = new Identities.MemberKeys(meshIds.get(mesh), SoakLedger.field(r.body(), "id"), kp);
                }
                SoakPeer p = new SoakPeer(i, mesh, member, ledger);
                peers.add(p);
                peersByMesh.get(mesh).add(p);
            }
        }

        /** Connects every session that is not connected, {@code --handshakes} at a time; returns how many are ready. */
        private int connectAll() throws InterruptedException {
            Semaphore inFlight = new Semaphore(o.handshakes);
            List<CompletableFuture<Boolean>> all = new ArrayList<>();
            for (SoakPeer p : peers) {
                if (p.connected()) {
                    continue;
                }
                inFlight.acquire();
                InetSocketAddress remote = new InetSocketAddress("127.0.0.1", broker.port);
                InetSocketAddress local = new InetSocketAddress("127.0.0." + (1 + p.index % o.sourceAddresses), 0);
                ledger.connects.increment();
                CompletableFuture<Boolean> f = p.connect(bootstrap, remote, local, uri)
                        .orTimeout(60, TimeUnit.SECONDS)
                        .exceptionally(e -> false)
                        .whenComplete((ready, e) -> {
                            inFlight.release();
                            if (!Boolean.TRUE.equals(ready)) {
                                ledger.helloFailures.increment();
                            }
                        });
                all.add(f);
            }
            CompletableFuture.allOf(all.toArray(new CompletableFuture<?>[0])).join();
            int ready = 0;
            for (SoakPeer p : peers) {
                if (p.ready()) {
                    ready++;
                }
            }
            return ready;
        }

        /** DMs between ready sessions of the same mesh at {@code --dm-rate}, plus one multicast per mesh a second. */
        private void traffic(long forMs) throws InterruptedException {
            long end = System.currentTimeMillis() + forMs;
            long tickMs = 10;
            double perTick = o.dmRate * tickMs / 1000.0;
            double carry = 0;
            long lastMulticast = 0;
            while (System.currentTimeMillis() < end) {
                carry += perTick;
                for (; carry >= 1; carry--) {
                    SoakPeer from = peers.get(random.nextInt(peers.size()));
                    List<SoakPeer> mesh = peersByMesh.get(from.meshIndex);
                    SoakPeer to = mesh.get(random.nextInt(mesh.size()));
                    if (from == to || !from.ready() || !to.ready()) {
                        continue;
                    }
                    from.send(ledger.newDm(to.key(), nonce, payload));
                }
                long now = System.currentTimeMillis();
                if (now - lastMulticast >= 1_000) {
                    lastMulticast = now;
                    for (List<SoakPeer> mesh : peersByMesh) {
                        SoakPeer from = mesh.get(random.nextInt(mesh.size()));
                        if (from.ready()) {
                            from.send(ledger.newMulticast("*", nonce, "c29haw=="));
                        }
                    }
                }
                Thread.sleep(tickMs);
            }
        }

        /** Waits (bounded) until every DM sent so far has its ack, so that a sender leaving does not lose it. */
        private void awaitAnswers(long timeoutMs) throws InterruptedException {
            long deadline = System.currentTimeMillis() + timeoutMs;
            while (ledger.acked.sum() + ledger.rejected.sum() < ledger.sent()
                    && System.currentTimeMillis() < deadline) {
                Thread.sleep(50);
            }
        }

        /** Disconnects {@code fraction} of the ready sessions, half politely; returns how many. */
        private int churn(double fraction) {
            List<SoakPeer> ready = new ArrayList<>();
            for (SoakPeer p : peers) {
                if (p.ready()) {
                    ready.add(p);
                }
            }
            Collections.shuffle(ready, random);
            int n = (int) (ready.size() * fraction);
            for (int i = 0; i < n; i++) {
                ready.get(i).disconnect(i % 2 == 0);
            }
            for (int i = 0; i < n; i++) {
                ready.get(i).awaitClosed(10_000);
            }
            ledger.disconnects.add(n);
            return n;
        }

        private static void log(String fmt, Object... args) {
            System.out.printf("[soak] " + fmt + "%n", args);
        }
    }
}
