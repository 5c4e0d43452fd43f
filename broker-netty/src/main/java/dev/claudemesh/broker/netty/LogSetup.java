package dev.claudemesh.broker.netty;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import org.slf4j.LoggerFactory;

/**
 * Applies the logging settings once the configuration is known: the root level ({@code BROKER_LOG_LEVEL}, which
 * {@code logback.xml} also reads from the environment, so that a {@code --log-level} flag works too) and, for
 * {@code BROKER_LOG_FORMAT=json}, one JSON object per line.
 */
final class LogSetup {

    private LogSetup() {
    }

    static void apply(String format, String level) {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext ctx)) {
            return;
        }
        ch.qos.logback.classic.Logger root = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.toLevel(level, Level.INFO));
        if (!"json".equals(format)) {
            return;
        }
        root.detachAndStopAllAppenders();
        JsonEncoder encoder = new JsonEncoder();
        encoder.setContext(ctx);
        // one flat object per line: level, thread, logger, the formatted message (never the raw template + args)
        encoder.setWithFormattedMessage(true);
        encoder.setWithMessage(false);
        encoder.setWithArguments(false);
        encoder.setWithContext(false);
        encoder.setWithSequenceNumber(false);
        encoder.setWithNanoseconds(false);
        encoder.setWithMDC(false);
        encoder.start();
        ConsoleAppender<ILoggingEvent> appender = new ConsoleAppender<>();
        appender.setContext(ctx);
        appender.setName("JSON");
        appender.setEncoder(encoder);
        appender.start();
        root.addAppender(appender);
    }
}
