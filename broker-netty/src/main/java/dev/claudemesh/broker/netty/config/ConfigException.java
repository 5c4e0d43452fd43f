package dev.claudemesh.broker.netty.config;

/**
 * A configuration error: a setting's value is not acceptable, or settings contradict each other. Its message names
 * the variable and what is expected, is shown to the operator as is ({@code configuration error: <message>}), and
 * never contains a secret's value. The broker exits 2 on it, which its supervisor does not restart.
 */
public final class ConfigException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Creates the error; {@code message} names the variable, e.g. {@code "BROKER_PORT: 'abc' is not an integer"}. */
    public ConfigException(String message) {
        super(message, null, false, false);
    }
}
