package dev.claudemesh.broker.netty.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.ConsoleAppender;
import dev.claudemesh.broker.netty.config.Settings;
import org.slf4j.LoggerFactory;

import java.util.Iterator;
import java.util.Map;

/** The log of a subcommand that prints a result: on stderr, quiet. Called on the main thread, before the work. */
final class CliLogging {

    private CliLogging() {
    }

    /**
     * Keeps stdout for the result: the console log moves to stderr, at WARN unless {@code BROKER_LOG_LEVEL} asks
     * otherwise.
     */
    static void toStderr(Map<String, String> env) {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext lc)) {
            return;
        }
        ch.qos.logback.classic.Logger root = lc.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        if (env.get(Settings.LOG_LEVEL.env()) == null) {
            root.setLevel(Level.WARN);
        }
        for (Iterator<Appender<ILoggingEvent>> it = root.iteratorForAppenders(); it.hasNext(); ) {
            if (it.next() instanceof ConsoleAppender<ILoggingEvent> console
                    && !"System.err".equals(console.getTarget())) {
                console.stop();
                console.setTarget("System.err");
                console.start();
            }
        }
    }
}
