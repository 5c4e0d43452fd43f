package dev.claudemesh.broker.netty;

import dev.claudemesh.broker.netty.cli.Cli;
import dev.claudemesh.broker.netty.startup.StartupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

import java.util.concurrent.CountDownLatch;

/**
 * {@code java -jar claudemesh-broker.jar [serve] [--flag value …]} starts the broker; the other commands
 * ({@code keygen}, {@code mesh create}, …, {@code help}, {@code --version}) are {@link Cli}'s.
 *
 * <p>Exit codes (README "Operations"): 0 after a graceful stop (SIGTERM, SIGINT) or a command that succeeded;
 * 1 a runtime failure a supervisor should retry (the database unreachable past
 * {@code DATABASE_CONNECT_TIMEOUT_SECONDS}, the port still in use, an unexpected error); 2 a configuration or usage
 * error it should not retry (a bad value, a bad {@code BROKER_BIND} or {@code BROKER_DATA_DIR}, an unknown flag).
 * Startup failures are one line on stderr, {@code configuration error: …} or {@code startup failed: …}, without a
 * stack trace (it is logged at DEBUG).</p>
 */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) {
        NettyDefaults.apply(System.getProperties()); // before any Netty class reads them
        System.exit(Cli.run(args, System.getenv(), System.out, System.err, Main::serve));
    }

    /** Runs the broker until SIGTERM/SIGINT (then the process halts with 0); returns only on a startup failure. */
    static int serve(BrokerConfig config) {
        LogSetup.apply(config.logFormat(), config.logLevel());
        Logger log = LoggerFactory.getLogger(Main.class);
        BrokerServer server;
        try {
            server = BrokerServer.start(config);
        } catch (StartupException e) {
            System.err.println(e.line());
            log.debug("startup failed", e);
            return e.exitCode();
        } catch (Exception e) {
            // not one of the failures startup knows how to name: a defect, so the stack trace is logged
            System.err.println("startup failed: " + e);
            log.error("startup failed", e);
            return StartupException.RUNTIME;
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
        return 0;
    }
}
