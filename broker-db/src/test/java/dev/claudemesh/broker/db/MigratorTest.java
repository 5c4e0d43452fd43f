package dev.claudemesh.broker.db;

import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class MigratorTest {

    @Test
    void shouldParseVersionsFromFileNames() {
        assertThat(Migrator.versionOf("V1__init.sql")).isEqualTo(1);
        assertThat(Migrator.versionOf("V12__add_invites.sql")).isEqualTo(12);
        assertThat(Migrator.versionOf("V2_missing_underscore.sql")).isEqualTo(-1);
        assertThat(Migrator.versionOf("README.md")).isEqualTo(-1);
        assertThat(Migrator.versionOf("U1__undo.sql")).isEqualTo(-1);
    }

    @Test
    void shouldFindPackagedMigrationsInVersionOrder() {
        // An unstarted pool: available() reads the classpath only.
        try (HikariDataSource unused = new HikariDataSource()) {
            List<Migrator.Migration> found = new Migrator(unused).available();

            assertThat(found).isNotEmpty();
            assertThat(found.get(0).version()).isEqualTo(1);
            assertThat(found.get(0).description()).isEqualTo("init");
            assertThat(found.get(0).resource()).isEqualTo("db/migration/V1__init.sql");
            assertThat(found.get(0).sql()).contains("CREATE TABLE mesh.audit_log");
            assertThat(found.get(0).checksum()).hasSize(64);
            assertThat(found).extracting(Migrator.Migration::version).isSorted().doesNotHaveDuplicates();
        }
    }
}
