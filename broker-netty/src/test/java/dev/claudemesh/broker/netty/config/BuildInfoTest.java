package dev.claudemesh.broker.netty.config;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** {@link BuildInfo}: the commit recorded at build time, and "unknown" when the build could not record one. */
class BuildInfoTest {

    @Test
    void shouldReadTheRecordedCommitOrUnknown() {
        Properties p = new Properties();
        assertThat(BuildInfo.gitShaOf(p)).isEqualTo(BuildInfo.UNKNOWN);
        p.setProperty(BuildInfo.COMMIT_PROPERTY, "unknown"); // a build without .git or git
        p.setProperty(BuildInfo.COMMIT_PROPERTY, "");
        assertThat(BuildInfo.gitShaOf(p)).isEqualTo(BuildInfo.UNKNOWN);
        p.setProperty(BuildInfo.COMMIT_PROPERTY, "${buildNumber}"); // resources copied without the plugin (an IDE)
        assertThat(BuildInfo.gitShaOf(p)).isEqualTo(BuildInfo.UNKNOWN);
        p.setProperty(BuildInfo.COMMIT_PROPERTY, "bfee1b18c28ea410d8633269e6915cfc67326251");
        assertThat(BuildInfo.gitShaOf(p)).isEqualTo("bfee1b18c28ea410d8633269e6915cfc67326251");
    }

    @Test
    void shouldReadTheRecordedVersionOrUnknown() {
        Properties p = new Properties();
        assertThat(BuildInfo.versionOf(p)).isEqualTo(BuildInfo.UNKNOWN);
        p.setProperty(BuildInfo.VERSION_PROPERTY, "${project.version}"); // copied without the build's step
        assertThat(BuildInfo.versionOf(p)).isEqualTo(BuildInfo.UNKNOWN);
        p.setProperty(BuildInfo.VERSION_PROPERTY, "0.2.0");
        assertThat(BuildInfo.versionOf(p)).isEqualTo("0.2.0");
    }

    /** The build recorded the POM's version (the build passes it to the test as {@code project.version}). */
    @Test
    void shouldHaveRecordedThePomVersion() {
        assertThat(BuildInfo.version()).isEqualTo(System.getProperty("project.version"))
                .matches("[0-9]+\\.[0-9]+\\.[0-9]+(-SNAPSHOT)?");
    }

    /** The build of this checkout recorded the commit git reports for it (skipped where no git work tree exists). */
    @Test
    void shouldHaveRecordedTheCommitOfThisCheckout() throws Exception {
        String head = gitHead();
        assumeTrue(head != null, "not built from a git work tree (or no git binary): nothing to compare");
        try (InputStream in = BuildInfo.class.getResourceAsStream(BuildInfo.RESOURCE)) {
            assertThat(in).as("the build wrote " + BuildInfo.RESOURCE).isNotNull();
        }
        assertThat(BuildInfo.gitSha()).isEqualTo(head);
    }

    private static String gitHead() throws InterruptedException {
        Path base = Path.of(System.getProperty("basedir", System.getProperty("user.dir")));
        try {
            Process p = new ProcessBuilder("git", "rev-parse", "HEAD").directory(base.toFile())
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0 || !out.matches("[0-9a-f]{40}")) {
                return null;
            }
            return Files.isDirectory(base) ? out : null;
        } catch (IOException e) {
            return null;
        }
    }
}
