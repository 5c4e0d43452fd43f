package dev.claudemesh.broker.netty.startup;

import dev.claudemesh.broker.netty.BrokerConfig;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;

import java.io.File;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The startup checks that need the host rather than the configuration's text, made before the database is started
 * so that a mistake is reported at once, in one line naming the variable: the data directory (embedded database
 * only), the TLS files, the bind address, and — through {@link #bindFailure} — the port. Stateless.
 */
public final class Preflight {

    private Preflight() {
    }

    /**
     * With the embedded database ({@code DATABASE_URL} unset): {@code BROKER_DATA_DIR} is a directory this user can
     * write, created if missing.
     *
     * @throws StartupException (exit 2) naming {@code BROKER_DATA_DIR} otherwise
     */
    public static void dataDir(BrokerConfig config) {
        if (config.databaseUrl() != null) {
            return;
        }
        Path dir = Path.of(config.dataDir());
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw StartupException.configuration("BROKER_DATA_DIR: '" + dir + "' is not a directory");
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw StartupException.configuration("BROKER_DATA_DIR: cannot create '" + dir + "': " + reason(e), e);
        }
        try {
            // a real write, not Files.isWritable: root passes permission checks on read-only mounts too
            Files.delete(Files.createTempFile(dir, ".write-check-", ".tmp"));
        } catch (IOException e) {
            throw StartupException.configuration("BROKER_DATA_DIR: '" + dir + "' is not writable: " + reason(e), e);
        }
    }

    /**
     * {@code BROKER_BIND} resolves to an address of this host (or the wildcard).
     *
     * @throws StartupException (exit 2) naming {@code BROKER_BIND} otherwise
     */
    public static InetAddress bindAddress(BrokerConfig config) {
        String bind = config.bindAddress();
        InetAddress address;
        try {
            address = InetAddress.getByName(bind);
        } catch (UnknownHostException e) {
            throw StartupException.configuration("BROKER_BIND: '" + bind + "' cannot be resolved (expected: an IP "
                    + "address or host name of this host, or 0.0.0.0)", e);
        }
        if (!address.isAnyLocalAddress() && !address.isLoopbackAddress() && !isLocal(address)) {
            throw notLocal(bind, address, null);
        }
        return address;
    }

    private static boolean isLocal(InetAddress address) {
        try {
            return NetworkInterface.getByInetAddress(address) != null;
        } catch (SocketException e) {
            return true; // cannot tell: let the bind decide (bindFailure names the variable too)
        }
    }

    private static StartupException notLocal(String bind, InetAddress address, Throwable cause) {
        String shown = bind.equals(address.getHostAddress()) ? bind : bind + " (" + address.getHostAddress() + ")";
        return StartupException.configuration("BROKER_BIND: " + shown + " is not an address of this host "
                + "(expected: one of its addresses, 127.0.0.1, or 0.0.0.0 for all)", cause);
    }

    /**
     * The TLS context of {@code BROKER_TLS_CERT} and {@code BROKER_TLS_KEY}, or null without TLS.
     *
     * @throws StartupException (exit 2) when the files do not hold a certificate chain and a matching PKCS#8 key
     */
    public static SslContext ssl(BrokerConfig config) {
        if (config.tlsCert() == null) {
            return null;
        }
        try {
            return SslContextBuilder.forServer(new File(config.tlsCert()), new File(config.tlsKey())).build();
        } catch (IOException | IllegalArgumentException e) {
            throw StartupException.configuration("BROKER_TLS_CERT, BROKER_TLS_KEY: cannot load the certificate "
                    + "chain and key: " + DatabaseStartup.topLine(e), e);
        }
    }

    /**
     * A failed bind of the server socket as a one-line error naming the address, port and variable: in use
     * (exit 1: the previous process may still be stopping), not an address of this host or no permission (exit 2).
     */
    public static StartupException bindFailure(BrokerConfig config, InetAddress address, int port, Throwable e) {
        String where = address.getHostAddress() + ":" + port;
        String message = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
        if (message.contains("address already in use")) {
            return StartupException.runtime("BROKER_PORT: " + where + " is already in use by another process "
                    + "(stop it, or choose another port with BROKER_PORT or --port)", e);
        }
        if (message.contains("cannot assign requested address")) {
            return notLocal(config.bindAddress(), address, e);
        }
        if (message.contains("permission denied")) {
            return StartupException.configuration("BROKER_PORT: no permission to listen on " + where
                    + " (ports below 1024 need CAP_NET_BIND_SERVICE)", e);
        }
        String kind = e instanceof BindException ? "" : e.getClass().getSimpleName() + ": ";
        return StartupException.runtime("BROKER_PORT: cannot listen on " + where + ": " + kind
                + DatabaseStartup.topLine(e), e);
    }

    private static String reason(IOException e) {
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getReason();
        }
        return e.getClass().getSimpleName();
    }
}
