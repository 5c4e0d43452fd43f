package dev.claudemesh.broker.bench.loadgen;

import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The load generator's command line, parsed and validated once. Durations accept {@code 500ms}, {@code 30s},
 * {@code 2m} or a plain number of seconds.
 *
 * @param url           broker (or relay) WebSocket URL, {@code ws://host:port/ws}
 * @param adminUrl      broker HTTP base URL for provisioning through the admin API, or null with {@code fixture}
 * @param adminToken    admin bearer token (with {@code adminUrl})
 * @param fixture       a fixture file of pre-provisioned members, or null with {@code adminUrl}
 * @param scenario      what to run
 * @param peers         number of WebSocket peers
 * @param sizeBytes     ciphertext size before base64 (the frame carries {@code 4*ceil(size/3)} base64 chars)
 * @param ratePerSec    open-loop target rate of sends over all peers; 0 = closed loop with {@code window}
 * @param durationMs    measured window
 * @param warmupMs      traffic before the measured window (not counted in rates and latencies)
 * @param drainMs       how long to wait after the last send for outstanding acks and pushes
 * @param brokerPid     broker process id for /proc RSS and CPU (and {@code jcmd GC.run} in idle), 0 = none
 * @param json          where to write the JSON report, or null
 * @param meshes        meshes to spread the peers over (admin provisioning); 0 = one per 100 peers
 * @param window        closed loop: messages in flight per peer
 * @param threads       client event loops
 * @param concurrency   connections being opened (TCP + upgrade + hello) at once
 * @param groupFraction group scenario: fraction of peers that join {@code @bench}
 * @param metricsUrl    the broker's {@code /metrics}, derived from {@code url} unless given
 * @param fixtureOut    {@code provision}: where to write the fixture
 * @param dbPid         PostgreSQL postmaster pid: its and its backends' CPU time is reported too, 0 = none
 * @param membersPerMesh admin provisioning: members per mesh, 0 = one per peer; peers beyond it share members
 *                      (as sessions of one member do)
 * @param stormWarmups  connect-storm: discarded storms of the same shape, each on freshly provisioned meshes, run in
 *                      this process before the measured one so that its JIT has compiled the client's hello path;
 *                      default 1 with {@code adminUrl}, 0 with {@code fixture} (a fixture has no spare identities)
 */
public record Options(URI url, URI adminUrl, String adminToken, Path fixture, Scenario scenario, int peers,
                      int sizeBytes, double ratePerSec, long durationMs, long warmupMs, long drainMs, long brokerPid,
                      Path json, int meshes, int window, int threads, int concurrency, double groupFraction,
                      URI metricsUrl, Path fixtureOut, long dbPid, int membersPerMesh, Protocol protocol,
                      int stormWarmups) {

    /** The scenarios of docs/BENCHMARKS.md. */
    public enum Scenario {
        DM("dm"), BROADCAST("broadcast"), GROUP("group"), CONNECT_STORM("connect-storm"), IDLE("idle"),
        RELAY("relay");

        final String cli;

        Scenario(String cli) {
            this.cli = cli;
        }

        static Scenario of(String s) {
            for (Scenario v : values()) {
                if (v.cli.equals(s)) {
                    return v;
                }
            }
            throw new IllegalArgumentException("--scenario: " + s + " (expected: dm|broadcast|group|connect-storm|idle|relay)");
        }

        /** True for the scenarios that send messages. */
        boolean traffic() {
            return this == DM || this == BROADCAST || this == GROUP || this == RELAY;
        }

        @Override
        public String toString() {
            return cli;
        }
    }

    /** The peers' wire encoding ({@code --protocol}). */
    public enum Protocol {
        JSON, BINARY;

        static Protocol of(String s) {
            return switch (s.trim().toLowerCase(Locale.ROOT)) {
                case "json" -> JSON;
                case "binary" -> BINARY;
                default -> throw new IllegalArgumentException("--protocol: " + s + " (expected: json|binary)");
            };
        }
    }

    public static final String USAGE = """
            usage:
              java -jar loadgen.jar --url ws://HOST:PORT/ws (--admin-url http://HOST:PORT --admin-token TOKEN | --fixture FILE)
                   --scenario dm|broadcast|group|connect-storm|idle --peers N --size BYTES [--rate MSGS_PER_S]
                   --duration 30s [--warmup 5s] [--broker-pid PID] [--json OUT.json]
                   [--meshes M] [--members-per-mesh K] [--window W] [--threads T] [--concurrency C]
                   [--group-fraction F] [--drain 5s]
                   [--metrics-url http://HOST:PORT/metrics] [--db-pid POSTMASTER_PID] [--storm-warmups K]
              java -jar loadgen.jar relay-server --port P [--threads T]
              java -jar loadgen.jar --url ws://HOST:P/ws --scenario relay --peers N --size BYTES [--rate R] --duration 30s
              java -jar loadgen.jar provision --admin-url URL --admin-token TOKEN --peers N [--meshes M] --out FIXTURE.json
              java -jar loadgen.jar jfr-summary RECORDING.jfr [TOP]

            --rate absent: closed loop, each peer keeps --window (default 16) messages in flight (max throughput).
            --rate R: open loop, R sends/s over all peers at fixed intervals; latency is measured from the
                      intended send time (no coordinated omission).
            --size is the ciphertext size in bytes before base64; the nonce is 24 random bytes.
            --meshes defaults to one mesh per 100 peers (the broker's default MAX_CONNECTIONS_PER_MESH).
            --protocol json|binary: the peers' encoding (default json); binary offers claudemesh.bin.1
                      (docs/BINARY-PROTOCOL.md) and converts at the generator's edge (ProtocolEdge).
            --members-per-mesh K provisions K members per mesh and makes the other peers further sessions of
                      them (fewer admin calls for big idle runs); default: one member per peer.
            --storm-warmups K (connect-storm): K discarded storms of the same shape on freshly provisioned meshes
                      before the measured one, in this process, so that the generator's JIT is warm too; default 1
                      with --admin-url, 0 with --fixture.
            """;

    /** Parses the arguments of a run (everything after an optional subcommand). */
    public static Options parse(String... args) {
        URI url = null;
        URI adminUrl = null;
        String adminToken = null;
        Path fixture = null;
        Scenario scenario = null;
        int peers = -1;
        int size = 256;
        double rate = 0;
        long duration = 30_000;
        long warmup = 0;
        long drain = 5_000;
        long pid = 0;
        Path json = null;
        int meshes = 0;
        int window = 16;
        int threads = Runtime.getRuntime().availableProcessors();
        int concurrency = 128;
        double groupFraction = 0.5;
        URI metricsUrl = null;
        Path out = null;
        int membersPerMesh = 0;
        long dbPid = 0;
        Protocol protocol = Protocol.JSON;
        int stormWarmups = -1;
        List<String> a = new ArrayList<>(List.of(args));
        for (int i = 0; i < a.size(); i++) {
            String flag = a.get(i);
            if (!flag.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument " + flag + "\n" + USAGE);
            }
            String v;
            int eq = flag.indexOf('=');
            if (eq > 0) {
                v = flag.substring(eq + 1);
                flag = flag.substring(0, eq);
            } else {
                if (i + 1 >= a.size()) {
                    throw new IllegalArgumentException(flag + " needs a value");
                }
                v = a.get(++i);
            }
            switch (flag) {
                case "--url" -> url = URI.create(v);
                case "--admin-url" -> adminUrl = URI.create(v.endsWith("/") ? v.substring(0, v.length() - 1) : v);
                case "--admin-token" -> adminToken = v;
                case "--fixture" -> fixture = Path.of(v);
                case "--scenario" -> scenario = Scenario.of(v);
                case "--peers" -> peers = positiveInt(flag, v);
                case "--size" -> size = positiveInt(flag, v);
                case "--rate" -> rate = positiveDouble(flag, v);
                case "--duration" -> duration = durationMs(flag, v);
                case "--warmup" -> warmup = durationMs(flag, v);
                case "--drain" -> drain = durationMs(flag, v);
                case "--broker-pid" -> pid = positiveInt(flag, v);
                case "--json" -> json = Path.of(v);
                case "--meshes" -> meshes = positiveInt(flag, v);
                case "--window" -> window = positiveInt(flag, v);
                case "--threads" -> threads = positiveInt(flag, v);
                case "--concurrency" -> concurrency = positiveInt(flag, v);
                case "--group-fraction" -> {
                    groupFraction = positiveDouble(flag, v);
                    if (groupFraction > 1) {
                        throw new IllegalArgumentException("--group-fraction: " + v + " (expected: 0 < f <= 1)");
                    }
                }
                case "--metrics-url" -> metricsUrl = URI.create(v);
                case "--out" -> out = Path.of(v);
                case "--members-per-mesh" -> membersPerMesh = positiveInt(flag, v);
                case "--db-pid" -> dbPid = positiveInt(flag, v);
                case "--protocol" -> protocol = Protocol.of(v);
                case "--storm-warmups" -> stormWarmups = nonNegativeInt(flag, v);
                default -> throw new IllegalArgumentException("unknown option " + flag + "\n" + USAGE);
            }
        }
        if (peers < 0) {
            throw new IllegalArgumentException("--peers is required\n" + USAGE);
        }
        if (out == null) {
            Objects.requireNonNull(scenario, "--scenario is required");
            if (url == null) {
                throw new IllegalArgumentException("--url is required\n" + USAGE);
            }
            if (!"ws".equals(url.getScheme())) {
                throw new IllegalArgumentException("--url: " + url + " (expected: ws://HOST:PORT/ws)");
            }
            if (scenario != Scenario.RELAY && (adminUrl == null) == (fixture == null)) {
                throw new IllegalArgumentException("give exactly one of --admin-url (with --admin-token) and --fixture");
            }
            if (scenario == Scenario.RELAY && protocol == Protocol.BINARY) {
                throw new IllegalArgumentException("--protocol binary: the relay scenario has no broker to speak it");
            }
            if (scenario.traffic() && peers < 2) {
                throw new IllegalArgumentException("--peers: " + peers + " (expected: >= 2 for " + scenario + ")");
            }
            if (metricsUrl == null) {
                metricsUrl = URI.create("http://" + url.getHost() + ":" + port(url) + "/metrics");
            }
        } else if (adminUrl == null) {
            throw new IllegalArgumentException("provision needs --admin-url and --admin-token");
        }
        if (adminUrl != null && adminToken == null) {
            throw new IllegalArgumentException("--admin-url needs --admin-token");
        }
        if (stormWarmups < 0) {
            stormWarmups = adminUrl != null ? 1 : 0;
        } else if (stormWarmups > 0 && adminUrl == null) {
            throw new IllegalArgumentException("--storm-warmups: " + stormWarmups
                    + " needs --admin-url (warm-up storms provision their own meshes)");
        }
        if (meshes == 0) {
            meshes = Math.max(1, (peers + 99) / 100);
        }
        if (meshes > peers && peers > 0) {
            throw new IllegalArgumentException("--meshes: " + meshes + " (expected: <= --peers " + peers + ")");
        }
        return new Options(url, adminUrl, adminToken, fixture, scenario, peers, size, rate, duration, warmup, drain,
                pid, json, meshes, window, threads, concurrency, groupFraction, metricsUrl, out, dbPid, membersPerMesh,
                protocol, stormWarmups);
    }

    /** True when sends are scheduled at a fixed rate (open loop). */
    boolean openLoop() {
        return ratePerSec > 0;
    }

    static int port(URI u) {
        return u.getPort() > 0 ? u.getPort() : 80;
    }

    static long durationMs(String flag, String v) {
        String s = v.trim().toLowerCase(Locale.ROOT);
        try {
            double n;
            long unit;
            if (s.endsWith("ms")) {
                n = Double.parseDouble(s.substring(0, s.length() - 2));
                unit = 1;
            } else if (s.endsWith("s")) {
                n = Double.parseDouble(s.substring(0, s.length() - 1));
                unit = 1_000;
            } else if (s.endsWith("m")) {
                n = Double.parseDouble(s.substring(0, s.length() - 1));
                unit = 60_000;
            } else {
                n = Double.parseDouble(s);
                unit = 1_000;
            }
            if (n < 0) {
                throw new NumberFormatException();
            }
            return Math.round(n * unit);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(flag + ": " + v + " (expected: a duration like 500ms, 30s, 2m)");
        }
    }

    private static int positiveInt(String flag, String v) {
        try {
            int n = Integer.parseInt(v.trim());
            if (n <= 0) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(flag + ": " + v + " (expected: an integer > 0)");
        }
    }

    private static int nonNegativeInt(String flag, String v) {
        try {
            int n = Integer.parseInt(v.trim());
            if (n < 0) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(flag + ": " + v + " (expected: an integer >= 0)");
        }
    }

    private static double positiveDouble(String flag, String v) {
        try {
            double n = Double.parseDouble(v.trim());
            if (!(n > 0) || Double.isInfinite(n)) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(flag + ": " + v + " (expected: a number > 0)");
        }
    }
}
