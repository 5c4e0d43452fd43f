package dev.claudemesh.broker.db;

import dev.claudemesh.broker.core.model.Mesh;
import dev.claudemesh.broker.db.store.AdminRepository;
import dev.claudemesh.broker.db.testing.TestDatabase;
import dev.claudemesh.broker.db.testing.TestDatabases;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class DatabaseIT {

    @Test
    void shouldKeepEmbeddedDataAcrossRestarts(@TempDir Path dataDir) {
        DatabaseConfig config = DatabaseConfig.defaults().withDataDir(dataDir);
        Mesh mesh;
        try (Database first = Database.open(config)) {
            assertThat(first.embedded()).isTrue();
            assertThat(first.appliedAtOpen()).extracting(Migrator.Applied::version)
                    .containsExactlyElementsOf(new Migrator(first.dataSource()).available());
            mesh = new AdminRepository(first.dataSource()).createMesh("Persistent", "persistent");
        }
        assertThat(Files.exists(dataDir.resolve("postgres").resolve("PG_VERSION"))).isTrue();

        try (Database second = Database.open(config)) {
            assertThat(second.appliedAtOpen()).isEmpty();
            assertThat(new AdminRepository(second.dataSource()).findMesh(mesh.id())).contains(mesh);
        }
    }

    @Test
    void shouldUseAnExternalServerFromDatabaseUrl(@TempDir Path unusedDataDir) {
        try (TestDatabase external = TestDatabases.newDatabase();
             Database db = Database.open(DatabaseConfig.defaults().withDataDir(unusedDataDir)
                     .withDatabaseUrl(external.databaseUrl()))) {
            assertThat(db.embedded()).isFalse();
            assertThat(db.appliedAtOpen()).isEmpty(); // newDatabase() migrated it already
            assertThat(db.target().jdbcUrl()).isEqualTo(external.jdbcUrl());
            assertThat(new AdminRepository(db.dataSource()).createMesh("x", "x").name()).isEqualTo("x");
            assertThat(unusedDataDir).isEmptyDirectory();
        }
    }
}
