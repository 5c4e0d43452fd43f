package dev.claudemesh.broker.db;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Base64;
import java.util.EnumSet;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * How the embedded server authenticates: the superuser {@code postgres} has a password generated at first start and
 * kept in {@code <dataDir>/postgres-password} (owner-only permissions, 0600), every connection is TCP to localhost and
 * must prove that password with SCRAM-SHA-256 ({@code pg_hba.conf} written by this class), and the server opens no
 * Unix socket. A new cluster gets the password from {@code initdb}; a cluster of an earlier version, which trusted
 * every local connection, is switched over at its first start by {@link #migrateFromTrust}.
 *
 * <p>Why a password rather than only a Unix socket in the data directory: the JDBC driver speaks TCP only (a
 * Unix-socket connection needs a native socket factory, a new dependency), and operators keep connecting with
 * {@code psql -h localhost} for inspection; the password file sits in the same directory that an attacker would
 * need anyway. Stateless; blocking.</p>
 */
final class EmbeddedAuth {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedAuth.class);

    /** The password file's name in the data directory. */
    static final String PASSWORD_FILE = "postgres-password";
    static final String HBA_FILE = "pg_hba.conf";

    /** The whole {@code pg_hba.conf} of the embedded server. */
    static final String MANAGED_HBA = """
            # Written by claudemesh-broker (EmbeddedDatabase); rewritten at every start.
            # Only TCP connections from this machine, each proving the password in ../postgres-password with
            # SCRAM-SHA-256. The server opens no Unix socket (unix_socket_directories is empty).
            # TYPE  DATABASE  USER  ADDRESS        METHOD
            host    all       all   127.0.0.1/32   scram-sha-256
            host    all       all   ::1/128        scram-sha-256
            """;

    private static final Pattern TRUST_LINE = Pattern.compile("^\\s*(local|host\\w*)\\s.*\\btrust\\s*$",
            Pattern.MULTILINE);
    private static final Set<PosixFilePermission> OWNER_ONLY = EnumSet.of(PosixFilePermission.OWNER_READ,
            PosixFilePermission.OWNER_WRITE);
    private static final boolean POSIX = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");

    private EmbeddedAuth() {
    }

    /** The password file of the data directory {@code home}. */
    static Path passwordFile(Path home) {
        return home.resolve(PASSWORD_FILE);
    }

    /**
     * The superuser's password: read from {@code <home>/postgres-password}, or generated (32 random bytes,
     * base64url) and written there with permissions 0600 when the file is missing. Permissions wider than that are
     * narrowed, with a warning.
     */
    static String loadOrCreatePassword(Path home) {
        Path file = passwordFile(home);
        try {
            if (Files.exists(file)) {
                if (POSIX) {
                    Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
                    if (!OWNER_ONLY.containsAll(perms)) {
                        log.warn("{} was readable by others ({}); narrowing it to rw-------", file,
                                PosixFilePermissions.toString(perms));
                        Files.setPosixFilePermissions(file, OWNER_ONLY);
                    }
                }
                String pw = Files.readString(file, StandardCharsets.UTF_8).strip();
                if (pw.isEmpty() || pw.indexOf('\n') >= 0) {
                    throw new IllegalStateException("BROKER_DATA_DIR: " + file + " is empty or has several lines "
                            + "(expected: the embedded PostgreSQL's password on one line)");
                }
                return pw;
            }
            byte[] random = new byte[32];
            new SecureRandom().nextBytes(random);
            String pw = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
            Path tmp = home.resolve(PASSWORD_FILE + ".tmp");
            Files.deleteIfExists(tmp);
            if (POSIX) {
                Files.createFile(tmp, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
            } else {
                Files.createFile(tmp);
            }
            Files.writeString(tmp, pw + "\n", StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
            log.info("generated the embedded PostgreSQL's password in {} (owner-only)", file);
            return pw;
        } catch (IOException e) {
            throw new UncheckedIOException("BROKER_DATA_DIR: cannot read or write " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Refuses a cluster that already asks for a password when the password file is gone (a new one would not
     * match; zonky would wait a minute for a server it can never log in to).
     */
    static void requirePasswordFileOf(Path home, Path cluster) {
        if (Files.exists(cluster.resolve("postgresql.conf")) && !trusts(cluster)
                && !Files.exists(passwordFile(home))) {
            throw new IllegalStateException("BROKER_DATA_DIR: " + passwordFile(home) + " is missing, and the cluster "
                    + "in " + cluster + " asks for that password; restore the file from a backup of the directory");
        }
    }

    /** True when {@code <cluster>/pg_hba.conf} lets any connection in without a password. */
    static boolean trusts(Path cluster) {
        Path hba = cluster.resolve(HBA_FILE);
        try {
            return Files.exists(hba) && TRUST_LINE.matcher(Files.readString(hba, StandardCharsets.UTF_8)).find();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + hba, e);
        }
    }

    /** Writes {@link #MANAGED_HBA} into the cluster (owner-only), replacing what is there. */
    static void writeHba(Path cluster) {
        Path hba = cluster.resolve(HBA_FILE);
        Path tmp = cluster.resolve(HBA_FILE + ".tmp");
        try {
            Files.writeString(tmp, MANAGED_HBA, StandardCharsets.UTF_8);
            if (POSIX) {
                Files.setPosixFilePermissions(tmp, OWNER_ONLY);
            }
            Files.move(tmp, hba, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + hba, e);
        }
    }

    /**
     * Switches a running cluster of an earlier version from {@code trust} to the password: sets the superuser's
     * password (stored as a SCRAM verifier), writes {@link #MANAGED_HBA}, reloads the configuration and ends every
     * other session (one opened while the cluster still trusted everybody keeps no access). Idempotent: a crash
     * half-way leaves {@code trust} in place and the next start does it again.
     *
     * @param superuser a superuser connection to the running cluster (it stays open)
     */
    static void migrateFromTrust(Path cluster, Connection superuser, String password) throws SQLException {
        if (!password.matches("[A-Za-z0-9_\\-]+")) {
            throw new IllegalStateException("the embedded PostgreSQL's password has characters other than "
                    + "base64url; delete " + PASSWORD_FILE + " only together with the cluster");
        }
        try (Statement st = superuser.createStatement()) {
            st.execute("SET password_encryption = 'scram-sha-256'");
            st.execute("ALTER ROLE " + EmbeddedDatabase.USER + " WITH PASSWORD '" + password + "'");
        }
        writeHba(cluster);
        try (Statement st = superuser.createStatement()) {
            st.execute("SELECT pg_reload_conf()");
            st.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    + "WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'");
        }
        log.info("embedded PostgreSQL in {} switched from trust to password authentication (scram-sha-256)",
                cluster);
    }

    /** {@code initdb} options that give a new cluster the password and SCRAM from the start. */
    static String[][] initdbOptions(Path passwordFile) {
        return new String[][]{
                {"pwfile", passwordFile.toString()},
                {"auth-host", "scram-sha-256"},
                {"auth-local", "scram-sha-256"},
        };
    }
}
