package dev.claudemesh.broker.db;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The embedded server's own defences: the password, the data directory's owner, and what a dead owner leaves
 * behind. "Another broker" is a separate JVM ({@link OwnerProcess}).
 */
@Timeout(180)
class EmbeddedDatabaseIT {

    @TempDir
    Path home;

    @Test
    void shouldRefuseALocalConnectionWithoutThePasswordKeptOwnerOnlyInTheDataDirectory() throws Exception {
        try (EmbeddedDatabase pg = EmbeddedDatabase.start(home, 0)) {
            Path file = home.resolve(EmbeddedAuth.PASSWORD_FILE);
            assertThat(Files.getPosixFilePermissions(file)).containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ,
                    PosixFilePermission.OWNER_WRITE);
            String password = Files.readString(file, StandardCharsets.UTF_8).strip();
            assertThat(password).hasSize(43);
            assertThat(pg.target().password()).isEqualTo(password);
            String url = "jdbc:postgresql://localhost:" + pg.port() + "/postgres";

            assertThat((Throwable) catchThrowableOfType(SQLException.class, () -> connect(url, null).close()))
                    .as("no password").hasMessageContaining("password");
            assertThat(catchThrowableOfType(SQLException.class, () -> connect(url, "wrong").close()).getSQLState())
                    .as("wrong password").isEqualTo("28P01");
            try (Connection c = connect(url, password)) {
                assertThat(query(c, "SELECT 1")).isEqualTo("1");
                assertThat(query(c, "SHOW unix_socket_directories")).as("no Unix socket").isEmpty();
                assertThat(query(c, "SELECT rolpassword FROM pg_authid WHERE rolname = 'postgres'"))
                        .startsWith("SCRAM-SHA-256$");
                assertThat(query(c, "SHOW server_version_num"))
                        .startsWith(String.valueOf(EmbeddedDatabase.MAJOR_VERSION));
            }
            assertThat(Files.readString(pg.clusterDirectory().resolve("pg_hba.conf")))
                    .isEqualTo(EmbeddedAuth.MANAGED_HBA).doesNotContain("trust");
        }
        try (EmbeddedDatabase again = EmbeddedDatabase.start(home, 0);
             Connection c = connect("jdbc:postgresql://localhost:" + again.port() + "/postgres",
                     again.target().password())) {
            assertThat(query(c, "SELECT 1")).as("the same password on the next start").isEqualTo("1");
        }
    }

    @Test
    void shouldRefuseAClusterWhosePasswordFileIsGone() throws Exception {
        EmbeddedDatabase.start(home, 0).close();
        Files.delete(home.resolve(EmbeddedAuth.PASSWORD_FILE));

        long t0 = System.nanoTime();
        Throwable e = org.assertj.core.api.Assertions.catchThrowable(() -> EmbeddedDatabase.start(home, 0));

        assertThat(e).isInstanceOf(IllegalStateException.class).hasMessageContaining("postgres-password is missing");
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).as("at once").isLessThan(5_000);
        assertThat(home.resolve(EmbeddedAuth.PASSWORD_FILE)).as("no new password made up").doesNotExist();
    }

    @Test
    void shouldSwitchADataDirectoryOfTheEarlierVersionFromTrustToThePassword() throws Exception {
        Path cluster = home.resolve(EmbeddedDatabase.CLUSTER_DIR);
        // what earlier versions made: zonky's initdb -A trust, host all all 127.0.0.1/32 trust
        try (EmbeddedPostgres old = EmbeddedPostgres.builder().setDataDirectory(cluster).setCleanDataDirectory(false)
                .setRegisterShutdownHook(false).start();
             Connection c = old.getPostgresDatabase().getConnection(); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE public.kept (v int); INSERT INTO public.kept VALUES (42)");
        }
        assertThat(Files.readString(cluster.resolve("pg_hba.conf"))).containsPattern("127.0.0.1/32\\s+trust");

        try (EmbeddedDatabase pg = EmbeddedDatabase.start(home, 0)) {
            String url = "jdbc:postgresql://localhost:" + pg.port() + "/postgres";
            assertThat((Throwable) catchThrowableOfType(SQLException.class, () -> connect(url, null).close()))
                    .as("no password").isNotNull();
            try (Connection c = connect(url, pg.target().password())) {
                assertThat(query(c, "SELECT v FROM public.kept")).isEqualTo("42");
            }
            assertThat(Files.readString(cluster.resolve("pg_hba.conf"))).isEqualTo(EmbeddedAuth.MANAGED_HBA);
        }
    }

    @Test
    void shouldRefuseADirectoryThatALiveProcessHolds() throws Exception {
        try (OwnerProcess other = OwnerProcess.start("hold", home)) {
            long t0 = System.nanoTime();
            DataDirectoryInUseException e = catchThrowableOfType(DataDirectoryInUseException.class,
                    () -> EmbeddedDatabase.start(home, 0));

            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).as("refused at once").isLessThan(5_000);
            assertThat(e.ownerPid()).isEqualTo(other.pid());
            assertThat(e.getMessage()).contains("is in use by process " + other.pid()).doesNotContain("\n");
            assertThat(ProcessHandle.of(other.serverPid()).map(ProcessHandle::isAlive)).as("its server untouched")
                    .contains(true);
        }
        try (EmbeddedDatabase pg = EmbeddedDatabase.start(home, 0)) {
            assertThat(pg.port()).as("free again once the owner stopped").isPositive();
        }
    }

    @Test
    void shouldRefuseASecondStartInTheSameProcess() {
        try (EmbeddedDatabase pg = EmbeddedDatabase.start(home, 0)) {
            DataDirectoryInUseException e = catchThrowableOfType(DataDirectoryInUseException.class,
                    () -> EmbeddedDatabase.start(home, 0));
            assertThat(e.ownerPid()).isEqualTo(ProcessHandle.current().pid());
            assertThat(pg.serverPid()).isPositive();
        }
    }

    @Test
    void shouldStopAServerLeftRunningByADeadOwnerAndStartNormally() throws Exception {
        OwnerProcess dead = OwnerProcess.start("die-without-watchdog", home);
        assertThat(dead.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
        long orphan = dead.serverPid();
        assertThat(ProcessHandle.of(orphan).map(ProcessHandle::isAlive)).as("orphan runs").contains(true);

        try (EmbeddedDatabase pg = EmbeddedDatabase.start(home, 0);
             Connection c = connect("jdbc:postgresql://localhost:" + pg.port() + "/postgres", pg.target().password())) {
            assertThat(ProcessHandle.of(orphan).map(ProcessHandle::isAlive).orElse(false)).as("orphan stopped")
                    .isFalse();
            assertThat(pg.serverPid()).isNotEqualTo(orphan);
            assertThat(query(c, "SELECT 1")).isEqualTo("1");
        }
    }

    @Test
    void shouldStopTheServerSoonAfterItsOwnerDiesWithoutClosingIt() throws Exception {
        OwnerProcess dead = OwnerProcess.start("die", home);
        assertThat(dead.process().waitFor(30, TimeUnit.SECONDS)).isTrue();

        // nobody else acts: the watchdog (a child of the dead owner) sees its pipe close and stops the server
        boolean stopped = ProcessHandle.of(dead.serverPid()).map(h -> {
            try {
                h.onExit().get(30, TimeUnit.SECONDS);
                return true;
            } catch (Exception e) {
                return !h.isAlive();
            }
        }).orElse(true);
        assertThat(stopped).as("server pid %d stopped by the watchdog", dead.serverPid()).isTrue();
        assertThat(Postmaster.read(home.resolve(EmbeddedDatabase.CLUSTER_DIR))).as("a clean shutdown").isEmpty();
    }

    private static Connection connect(String url, String password) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", EmbeddedDatabase.USER);
        if (password != null) {
            p.setProperty("password", password);
        }
        return DriverManager.getConnection(url, p);
    }

    private static String query(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
