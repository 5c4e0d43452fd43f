package dev.claudemesh.broker.netty;

import dev.claudemesh.broker.netty.config.Setting;
import dev.claudemesh.broker.netty.config.Settings;
import dev.claudemesh.broker.netty.startup.StartupException;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Keeps the operator files in step with the code: the systemd unit ({@code deploy/claudemesh-broker.service}) keeps
 * its hardening and stop settings and restarts exactly on the broker's retryable exit code; every variable the README
 * tells operators to set is one the broker reads, and its configuration table is the settings catalog; the quick
 * start listens on loopback with a generated token; the Dockerfile keeps its data in a volume, checks health on the
 * configured port and passes {@code JAVA_OPTS}; {@code .dockerignore} keeps secrets out of the build context. (The
 * unit was checked by hand with {@code systemd-analyze verify} and {@code systemd-analyze security --offline=true};
 * no Docker engine or systemd is assumed on build machines, so these checks are static.)
 */
class DeployFilesTest {

    private static Path repoRoot() {
        Path base = Path.of(System.getProperty("basedir", System.getProperty("user.dir"))).toAbsolutePath();
        return Files.isDirectory(base.resolve("deploy")) ? base : base.getParent();
    }

    private static List<String> unitDirectives() throws IOException {
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(repoRoot().resolve("deploy/claudemesh-broker.service"))) {
            String t = line.strip();
            if (!t.isEmpty() && !t.startsWith("#") && !t.startsWith("[")) {
                out.add(t);
            }
        }
        return out;
    }

    @Test
    void shouldRunTheJarAsDedicatedUserWithConfigurationFromEnvFile() throws Exception {
        assertThat(unitDirectives()).contains(
                "User=claudemesh",
                "Group=claudemesh",
                "EnvironmentFile=/etc/claudemesh/broker.env",
                "ExecStart=/usr/bin/java $JAVA_OPTS -jar /opt/claudemesh/claudemesh-broker.jar");
    }

    @Test
    void shouldStopWithSigtermWithinTheBrokersBudgetAndRestartOnlyWhatRestartCanFix() throws Exception {
        assertThat(unitDirectives()).contains(
                "KillSignal=SIGTERM",
                "KillMode=mixed",
                "TimeoutStopSec=15",
                "Restart=on-failure",
                "RestartPreventExitStatus=" + StartupException.CONFIGURATION,
                "LimitNOFILE=65536");
        assertThat(StartupException.RUNTIME).isNotEqualTo(StartupException.CONFIGURATION);
        assertThat(unitDirectives()).noneMatch(d -> d.startsWith("RestartPreventExitStatus=")
                && d.contains(String.valueOf(StartupException.RUNTIME)));
    }

    @Test
    void shouldBeHardenedButLeaveTheJitWorking() throws Exception {
        List<String> d = unitDirectives();
        assertThat(d).contains(
                "NoNewPrivileges=yes",
                "ProtectSystem=strict",
                "ReadWritePaths=/var/lib/claudemesh",
                "PrivateTmp=yes",
                "ProtectHome=yes",
                "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6",
                "CapabilityBoundingSet=");
        assertThat(d).noneMatch(s -> s.startsWith("MemoryDenyWriteExecute"));
    }

    @Test
    void shouldDocumentOnlyVariablesTheBrokerReads() throws Exception {
        String doc = Files.readString(repoRoot().resolve("README.md"));
        Set<String> documented = new LinkedHashSet<>();
        Matcher m = Pattern.compile("(?m)^((?:BROKER|DATABASE|STATUS|HOOK|MAX|SEND|JOIN)_[A-Z_]+)=").matcher(doc);
        while (m.find()) {
            documented.add(m.group(1));
        }
        assertThat(documented).contains("DATABASE_URL", "BROKER_PORT", "BROKER_TLS_CERT", "BROKER_TLS_KEY");
        assertThat(Settings.ALL.stream().map(Setting::env).toList()).containsAll(documented);
    }

    @Test
    void shouldCarryTheSettingsCatalogAsTheReadmeConfigurationTable() throws Exception {
        String doc = Files.readString(repoRoot().resolve("README.md"));
        assertThat(doc).as("README's configuration table; regenerate it from Settings.markdownTable()")
                .contains(Settings.markdownTable());
    }

    private static String section(String doc, String heading) {
        int start = doc.indexOf(heading);
        assertThat(start).as(heading).isNotNegative();
        int end = doc.indexOf("\n## ", start + heading.length());
        return doc.substring(start, end < 0 ? doc.length() : end);
    }

    @Test
    void shouldStartTheQuickStartOnLoopbackWithAGeneratedToken() throws Exception {
        String doc = Files.readString(repoRoot().resolve("README.md"));
        String quickStart = section(doc, "## Quick start");
        assertThat(quickStart).contains("openssl rand -hex 24 > data/admin-token")
                .contains("BROKER_BIND=127.0.0.1 BROKER_ADMIN_TOKEN=$(cat data/admin-token) java -jar");
        // no fixed token anywhere an operator might copy it from
        assertThat(doc).doesNotContain("change-me").doesNotContain("BROKER_ADMIN_TOKEN=secret");
    }

    private static List<String> dockerfile() throws IOException {
        // one instruction per element: continuation lines joined
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (String line : Files.readAllLines(repoRoot().resolve("Dockerfile"))) {
            String t = line.strip();
            if (t.startsWith("#") || t.isEmpty()) {
                continue;
            }
            cur.append(t.endsWith("\\") ? t.substring(0, t.length() - 1) : t).append(' ');
            if (!t.endsWith("\\")) {
                out.add(cur.toString().strip().replaceAll("\\s+", " "));
                cur.setLength(0);
            }
        }
        return out;
    }

    @Test
    void shouldKeepTheDataDirectoryInAVolumeOwnedByTheNonRootUser() throws Exception {
        List<String> d = dockerfile();
        String dataDir = "/var/lib/claudemesh/data";
        assertThat(d).contains("VOLUME [\"" + dataDir + "\"]", "USER broker", "EXPOSE 7900");
        assertThat(d).anyMatch(i -> i.startsWith("ENV ") && i.contains("BROKER_DATA_DIR=" + dataDir));
        assertThat(d).anyMatch(i -> i.startsWith("RUN ") && i.contains("mkdir -p " + dataDir)
                && i.contains("chown -R broker:broker /var/lib/claudemesh"));
        // the volume is declared after the directory is made and owned, so a fresh named volume inherits the owner
        assertThat(indexOfPrefix(d, "VOLUME")).isGreaterThan(indexOfPrefix(d, "RUN groupadd"));
    }

    @Test
    void shouldCheckHealthOnTheConfiguredPortAndPassJavaOptions() throws Exception {
        List<String> d = dockerfile();
        String health = d.get(indexOfPrefix(d, "HEALTHCHECK"));
        assertThat(health).contains("${BROKER_PORT:-7900}/health").doesNotContain("127.0.0.1:7900");
        assertThat(health).contains("CMD ").doesNotContain("CMD [");   // shell form: the variable is expanded
        String entry = d.get(indexOfPrefix(d, "ENTRYPOINT"));
        assertThat(entry).contains("exec java $JAVA_OPTS -jar /opt/claudemesh/claudemesh-broker.jar \\\"$@\\\"");
        assertThat(d).anyMatch(i -> i.startsWith("ENV ") && i.contains("JAVA_OPTS="));
        assertThat(d).anyMatch(i -> i.startsWith("ARG GIT_SHA"));
        assertThat(d).anyMatch(i -> i.startsWith("ENV ") && i.contains("GIT_SHA=${GIT_SHA}"));
    }

    @Test
    void shouldKeepSecretsAndBuildOutputsOutOfTheDockerBuildContext() throws Exception {
        List<String> ignored = Files.readAllLines(repoRoot().resolve(".dockerignore")).stream()
                .map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        assertThat(ignored).contains(".git", "**/data", "**/target", "**/node_modules", "*.env");
        // and the build context still has what the build stage copies
        for (String i : dockerfile()) {
            if (i.startsWith("COPY ") && !i.startsWith("COPY --from")) {
                for (String src : i.substring(5).split(" ")) {
                    assertThat(ignored).doesNotContain(src.replace("./", ""));
                }
            }
        }
    }

    @Test
    void shouldDocumentADockerRunWithAVolume() throws Exception {
        String ops = section(Files.readString(repoRoot().resolve("README.md")), "## Operations");
        assertThat(ops).contains("-v claudemesh-data:/var/lib/claudemesh/data")
                .contains("--build-arg GIT_SHA=$(git rev-parse HEAD)")
                .contains("| 1 | runtime failure").contains("| 2 | configuration or usage error");
    }

    private static int indexOfPrefix(List<String> instructions, String prefix) {
        for (int i = 0; i < instructions.size(); i++) {
            if (instructions.get(i).startsWith(prefix)) {
                return i;
            }
        }
        throw new AssertionError("no " + prefix + " in the Dockerfile");
    }

    @Test
    void shouldProxyWebSocketUpgradesInTheNginxSnippet() throws Exception {
        String doc = Files.readString(repoRoot().resolve("README.md"));
        int start = doc.indexOf("```nginx");
        assertThat(start).isNotNegative();
        String nginx = doc.substring(start, doc.indexOf("```", start + 3));
        assertThat(nginx).contains("proxy_http_version 1.1;")
                .contains("proxy_set_header Upgrade $http_upgrade;")
                .contains("proxy_set_header Connection $connection_upgrade;")
                .contains("proxy_pass http://127.0.0.1:7900;");
    }
}
