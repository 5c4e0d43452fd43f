package dev.claudemesh.broker.db;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

class MigratorTest {

    /** Flyway's versioned-migration naming; with validateMigrationNaming a misnamed script fails the boot. */
    private static final String FLYWAY_NAME = "V[0-9]+(_[0-9]+)*__[A-Za-z0-9_]+\\.sql";

    @Test
    void shouldFindEverySqlScriptOnTheClasspathUnderFlywaysNaming() throws IOException {
        Path sql = Path.of(System.getProperty("user.dir")).resolveSibling("sql");
        List<String> scripts;
        try (Stream<Path> files = Files.list(sql)) {
            scripts = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".sql")).sorted().toList();
        }

        assertThat(scripts).isNotEmpty().allMatch(n -> n.matches(FLYWAY_NAME), "named V<n>__<description>.sql");
        for (String script : scripts) {
            assertThat(Migrator.class.getClassLoader().getResource(Migrator.LOCATION + "/" + script))
                    .as("packaged %s", script).isNotNull();
        }
    }

    @Test
    void shouldKeepOnlyTheFirstLineOfAnErrorMessage() {
        assertThat(Migrator.firstLine("Migration V2 failed\nSQL State: 42P07\nMessage: x")).isEqualTo(
                "Migration V2 failed");
        assertThat(Migrator.firstLine(null)).isEmpty();
        assertThat(Migrator.firstLine("\n  one line  ")).isEqualTo("one line");
        assertThat(Migrator.summary("Validate failed: Migrations have failed validation\nMigration checksum mismatch "
                + "for migration version 2\n-> Applied to database : 1\nEither revert")).isEqualTo("Validate failed: "
                + "Migrations have failed validation: Migration checksum mismatch for migration version 2");
    }
}
