package dev.claudemesh.broker.netty;

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
 * its hardening and stop settings, and every variable the README's "Deploy on a VPS" section tells operators to set is one the
 * broker reads. (The unit was checked by hand with {@code systemd-analyze verify} and
 * {@code systemd-analyze security --offline=true}; that tool is not assumed on build machines.)
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
                "RestartPreventExitStatus=2",
                "LimitNOFILE=65536");
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
        assertThat(BrokerConfig.DEFAULTS.keySet()).containsAll(documented);
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
