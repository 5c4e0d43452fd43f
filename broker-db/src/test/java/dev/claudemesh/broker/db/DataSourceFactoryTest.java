package dev.claudemesh.broker.db;

import dev.claudemesh.broker.db.DataSourceFactory.JdbcTarget;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DataSourceFactoryTest {

    @Test
    void shouldParsePostgresUrlWithCredentialsPortAndParams() {
        JdbcTarget t = DataSourceFactory.parse("postgres://alice:s%40cret@db.example:6543/mesh?sslmode=require");

        assertThat(t.jdbcUrl()).isEqualTo("jdbc:postgresql://db.example:6543/mesh?sslmode=require");
        assertThat(t.user()).isEqualTo("alice");
        assertThat(t.password()).isEqualTo("s@cret");
    }

    @Test
    void shouldParsePostgresqlSchemeWithoutPortOrPassword() {
        JdbcTarget t = DataSourceFactory.parse("postgresql://bob@localhost/broker");

        assertThat(t.jdbcUrl()).isEqualTo("jdbc:postgresql://localhost/broker");
        assertThat(t.user()).isEqualTo("bob");
        assertThat(t.password()).isNull();
    }

    @Test
    void shouldKeepPlusSignsInPasswords() {
        assertThat(DataSourceFactory.parse("postgres://u:a+b@h/d").password()).isEqualTo("a+b");
    }

    @Test
    void shouldPassJdbcUrlsThrough() {
        JdbcTarget t = DataSourceFactory.parse("jdbc:postgresql://h:5432/d?user=x&password=y");

        assertThat(t.jdbcUrl()).isEqualTo("jdbc:postgresql://h:5432/d?user=x&password=y");
        assertThat(t.user()).isNull();
        assertThat(t.password()).isNull();
        assertThat(t.safeUrl()).isEqualTo("jdbc:postgresql://h:5432/d?user=x&password=***");
    }

    @Test
    void shouldMoveUserInfoOutOfJdbcUrls() {
        JdbcTarget t = DataSourceFactory.parse("jdbc:postgresql://u:p@h:5432/d");

        assertThat(t.jdbcUrl()).isEqualTo("jdbc:postgresql://h:5432/d");
        assertThat(t.user()).isEqualTo("u");
        assertThat(t.password()).isEqualTo("p");
    }

    @Test
    void shouldDefaultToPostgresDatabase() {
        assertThat(DataSourceFactory.parse("postgres://h:1").jdbcUrl()).isEqualTo("jdbc:postgresql://h:1/postgres");
        assertThat(DataSourceFactory.parse("postgres://h/?ssl=true").jdbcUrl())
                .isEqualTo("jdbc:postgresql://h/postgres?ssl=true");
        assertThat(DataSourceFactory.parse("postgres://h?ssl=true").jdbcUrl())
                .isEqualTo("jdbc:postgresql://h/postgres?ssl=true");
    }

    @Test
    void shouldRejectOtherSchemesWithoutEchoingThePassword() {
        assertThatThrownBy(() -> DataSourceFactory.parse("mysql://u:topsecret@h/d"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("DATABASE_URL")
                .hasMessageNotContaining("topsecret");
        assertThatThrownBy(() -> DataSourceFactory.parse("postgres://u:p@/d"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldSwapDatabaseKeepingServerAndParams() {
        JdbcTarget t = new JdbcTarget("jdbc:postgresql://h:5/a?x=1", "u", "p");

        JdbcTarget other = t.withDatabase("b");

        assertThat(other.jdbcUrl()).isEqualTo("jdbc:postgresql://h:5/b?x=1");
        assertThat(other.databaseName()).isEqualTo("b");
        assertThat(other.user()).isEqualTo("u");
        assertThat(t.databaseName()).isEqualTo("a");
    }

    @Test
    void shouldNeverShowThePasswordInToString() {
        assertThat(new JdbcTarget("jdbc:postgresql://h/d", "u", "hunter2").toString()).doesNotContain("hunter2");
    }
}
