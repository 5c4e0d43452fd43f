package dev.claudemesh.broker.db;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DatabaseConfigTest {

    @Test
    void shouldDefaultToEmbeddedInDataDir() {
        DatabaseConfig c = DatabaseConfig.fromEnvironment(Map.of());

        assertThat(c.embedded()).isTrue();
        assertThat(c.dataDir()).isEqualTo(Path.of("./data"));
        assertThat(c.embeddedPort()).isZero();
    }

    @Test
    void shouldReadUrlAndDataDirFromEnvironment() {
        DatabaseConfig c = DatabaseConfig.fromEnvironment(Map.of(
                "DATABASE_URL", "postgres://u:pw@h/d", "BROKER_DATA_DIR", "/var/lib/broker"));

        assertThat(c.embedded()).isFalse();
        assertThat(c.dataDir()).isEqualTo(Path.of("/var/lib/broker"));
        assertThat(c.toString()).doesNotContain("pw");
    }

    @Test
    void shouldTreatBlankUrlAsEmbedded() {
        assertThat(DatabaseConfig.defaults().withDatabaseUrl("  ").embedded()).isTrue();
    }

    @Test
    void shouldRejectBadValuesAtConstruction() {
        DatabaseConfig d = DatabaseConfig.defaults();
        assertThatThrownBy(() -> d.withEmbeddedPort(70_000)).hasMessageContaining("embeddedPort");
        assertThatThrownBy(() -> d.withPool(1, 5_000)).hasMessageContaining("maxPoolSize");
        assertThatThrownBy(() -> d.withPool(4, 10)).hasMessageContaining("connectionTimeoutMs");
        assertThatThrownBy(() -> d.withDatabaseUrl("http://x")).hasMessageContaining("DATABASE_URL");
    }
}
