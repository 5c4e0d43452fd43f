package dev.claudemesh.broker.netty;

import dev.claudemesh.broker.db.DataDirectoryInUseException;
import dev.claudemesh.broker.netty.cli.AdminCli;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

/**
 * {@code java -jar claudemesh-broker.jar [serve] [--flag value …]} starts the broker;
 * {@code mesh|member|audit|invite …} run admin subcommands against the database.
 */
public final class Main {

    private static final Set<String> ADMIN_COMMANDS = Set.of("mesh", "member", "audit", "invite");

    private Main() {
    }

    private static DataDirectoryInUseException inUse(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof DataDirectoryInUseException d) {
                return d;
            }
        }
        return null;
    }

    public static void main(String[] args) {
        if (args.length > 0 && ADMIN_COMMANDS.contains(args[0])) {
            System.exit(AdminCli.run(args, System.getenv(), System.out, System.err));
        }
        if (args.length > 0 && "keygen".equals(args[0])) {
            // an ed25519 key pair for enrolling a member by hand (README worked example, load-test fixtures)
            var kp = dev.claudemesh.broker.core.crypto.Ed25519.generate();
            System.out.println("{\"publicKey\":\"" + kp.publicKeyHex() + "\",\"secretKey\":\"" + kp.secretKeyHex() + "\"}");
            return;
        }
        List<String> rest = Arrays.asList(args);
        if (!rest.isEmpty() && "serve".equals(rest.get(0))) {
            rest = rest.subList(1, rest.size());
        }
        if (rest.contains("--help") || rest.contains("-h")) {
            System.out.println("usage: java -jar claudemesh-broker.jar [serve] [--port N] [--database-url URL] …");
            System.out.println("       java -jar claudemesh-broker.jar mesh|member|audit|invite … | keygen");
            System.out.println("flags: " + String.join(" ", BrokerConfig.DEFAULTS.keySet().stream().map(BrokerConfig::flagOf).toList()));
            return;
        }
        BrokerConfig config;
        try {
            config = BrokerConfig.load(System.getenv(), rest);
        } catch (BrokerConfig.ConfigException e) {
            System.err.println("configuration error: " + e.getMessage());
            System.exit(2);
            return;
        }
        LogSetup.apply(config.logFormat());
        Logger log = LoggerFactory.getLogger(Main.class);
        BrokerServer server;
        try {
            server = BrokerServer.start(config);
        } catch (Exception e) {
            DataDirectoryInUseException inUse = inUse(e);
            if (inUse != null) {
                // a resource in use, like bad configuration: one line, exit 2 (the unit does not restart on 2)
                System.err.println("error: " + inUse.getMessage());
                System.exit(2);
                return;
            }
            log.error("startup failed: {}", e.toString(), e);
            System.exit(1);
            return;
        }
        CountDownLatch stop = new CountDownLatch(1);
        Runnable shutdown = () -> {
            try {
                server.close();
            } finally {
                stop.countDown();
            }
        };
        // SIGTERM/SIGINT: close gracefully and exit 0 (a shutdown hook alone would exit 143)
        Signal.handle(new Signal("TERM"), sig -> new Thread(() -> {
            shutdown.run();
            Runtime.getRuntime().halt(0);
        }, "sigterm").start());
        Signal.handle(new Signal("INT"), sig -> new Thread(() -> {
            shutdown.run();
            Runtime.getRuntime().halt(0);
        }, "sigint").start());
        try {
            stop.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
