package dev.claudemesh.broker.netty.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The command-line side of {@code backup} and {@code restore}: refusals before any database is reached. */
class BackupCommandsTest {

    @TempDir
    Path dir;

    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        err.reset();
        return Cli.run(args, Map.of(), new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String firstErrLine() {
        return err.toString(StandardCharsets.UTF_8).lines().findFirst().orElse("");
    }

    @Test
    void shouldRefuseAMissingFileOrArgumentWithUsageExitCode() {
        assertThat(run("backup")).isEqualTo(Cli.USAGE);
        assertThat(firstErrLine()).isEqualTo("error: Missing required parameter: '<file>'");
        Path missing = dir.resolve("nope.backup");
        assertThat(run("restore", missing.toString(), "--data-dir", dir.resolve("new").toString()))
                .isEqualTo(Cli.USAGE);
        assertThat(firstErrLine()).isEqualTo("error: " + missing + ": no such file");
        assertThat(run("restore", missing.toString(), "--database-url", "postgres://h/db", "--data-dir", "d"))
                .isEqualTo(Cli.USAGE);
        assertThat(firstErrLine()).isEqualTo("error: --database-url and --data-dir: give one of them");
        assertThat(run("restore", missing.toString(), "--database-url", "mysql://x")).isEqualTo(Cli.USAGE);
        assertThat(firstErrLine()).startsWith("error: broker configuration: DATABASE_URL");
    }

    @Test
    void shouldRefuseAForeignFileBeforeCreatingTheDirectory() throws Exception {
        Path notABackup = Files.writeString(dir.resolve("notes.txt"), "x".repeat(200));
        Path target = dir.resolve("restored");
        assertThat(run("restore", notABackup.toString(), "--data-dir", target.toString())).isEqualTo(Cli.FAILED);
        assertThat(firstErrLine()).startsWith("error: restore: " + notABackup + " has no checksum line");
        assertThat(target).doesNotExist();
    }

    @Test
    void shouldReportABackupOfADirectoryWithoutDatabase() {
        // --data-dir wins over a DATABASE_URL in the environment
        err.reset();
        assertThat(Cli.run(new String[] {"backup", dir.resolve("b.backup").toString(), "--data-dir", dir.toString()},
                Map.of("DATABASE_URL", "postgres://nowhere.invalid/db"),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8))).isEqualTo(Cli.FAILED);
        assertThat(firstErrLine()).isEqualTo("error: backup: BROKER_DATA_DIR " + dir + " holds no embedded database "
                + "(no " + dir.resolve("postgres").resolve("PG_VERSION") + ")");
        assertThat(dir.resolve("b.backup")).doesNotExist();
    }
}
