package dev.claudemesh.broker.netty.startup;

import dev.claudemesh.broker.netty.BrokerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.BindException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link Preflight}: each host check's verdict, message and exit code. */
class PreflightTest {

    private static BrokerConfig config(String... pairs) {
        Map<String, String> env = new java.util.HashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            env.put(pairs[i], pairs[i + 1]);
        }
        return BrokerConfig.load(env, List.of());
    }

    private static void assertRefused(Runnable check, int exitCode, String message) {
        assertThatThrownBy(check::run).isInstanceOfSatisfying(StartupException.class, e -> {
            assertThat(e.exitCode()).isEqualTo(exitCode);
            assertThat(e.getMessage()).isEqualTo(message);
        });
    }

    @Test
    void shouldCreateAMissingDataDirectoryAndAcceptAnExistingOne(@TempDir Path tmp) {
        Path dir = tmp.resolve("a/b/data");
        Preflight.dataDir(config("BROKER_DATA_DIR", dir.toString()));
        assertThat(dir).isDirectory().isEmptyDirectory(); // the write probe leaves nothing behind
        Preflight.dataDir(config("BROKER_DATA_DIR", dir.toString()));
    }

    @Test
    void shouldRefuseADataDirectoryThatIsAFileOrCannotBeCreated(@TempDir Path tmp) throws Exception {
        Path file = Files.writeString(tmp.resolve("data"), "x");
        assertRefused(() -> Preflight.dataDir(config("BROKER_DATA_DIR", file.toString())),
                StartupException.CONFIGURATION, "BROKER_DATA_DIR: '" + file + "' is not a directory");
        Path under = file.resolve("sub");
        assertThatThrownBy(() -> Preflight.dataDir(config("BROKER_DATA_DIR", under.toString())))
                .isInstanceOfSatisfying(StartupException.class, e -> {
                    assertThat(e.exitCode()).isEqualTo(StartupException.CONFIGURATION);
                    assertThat(e.getMessage()).startsWith("BROKER_DATA_DIR: cannot create '" + under + "': ");
                });
        // a read-only file system refuses even root (these tests may run as root)
        assertThatThrownBy(() -> Preflight.dataDir(config("BROKER_DATA_DIR", "/proc/claudemesh-data")))
                .isInstanceOfSatisfying(StartupException.class, e -> {
                    assertThat(e.exitCode()).isEqualTo(StartupException.CONFIGURATION);
                    assertThat(e.getMessage()).startsWith("BROKER_DATA_DIR: ");
                });
    }

    @Test
    void shouldIgnoreTheDataDirectoryWithAnExternalDatabase(@TempDir Path tmp) throws Exception {
        Path file = Files.writeString(tmp.resolve("data"), "x");
        Preflight.dataDir(config("BROKER_DATA_DIR", file.toString(), "DATABASE_URL", "postgres://u@db/x"));
    }

    @Test
    void shouldAcceptLocalBindAddressesAndRefuseOthers() {
        assertThat(Preflight.bindAddress(config("BROKER_BIND", "0.0.0.0")).isAnyLocalAddress()).isTrue();
        assertThat(Preflight.bindAddress(config("BROKER_BIND", "127.0.0.1")).isLoopbackAddress()).isTrue();
        assertThat(Preflight.bindAddress(config("BROKER_BIND", "localhost")).isLoopbackAddress()).isTrue();
        assertRefused(() -> Preflight.bindAddress(config("BROKER_BIND", "no-such-host.invalid")),
                StartupException.CONFIGURATION, "BROKER_BIND: 'no-such-host.invalid' cannot be resolved (expected: "
                        + "an IP address or host name of this host, or 0.0.0.0)");
        // TEST-NET-3 (RFC 5737): never an address of this host
        assertRefused(() -> Preflight.bindAddress(config("BROKER_BIND", "203.0.113.7")),
                StartupException.CONFIGURATION, "BROKER_BIND: 203.0.113.7 is not an address of this host "
                        + "(expected: one of its addresses, 127.0.0.1, or 0.0.0.0 for all)");
    }

    @Test
    void shouldNameThePortAndTheVariableWhenTheBindFails() throws Exception {
        BrokerConfig c = config("BROKER_BIND", "127.0.0.1", "BROKER_PORT", "7901");
        InetAddress lo = InetAddress.getByName("127.0.0.1");
        StartupException inUse = Preflight.bindFailure(c, lo, 7901,
                new BindException("bind(..) failed: Address already in use"));
        assertThat(inUse.exitCode()).isEqualTo(StartupException.RUNTIME);
        assertThat(inUse.getMessage()).isEqualTo("BROKER_PORT: 127.0.0.1:7901 is already in use by another process "
                + "(stop it, or choose another port with BROKER_PORT or --port)");
        assertThat(Preflight.bindFailure(c, lo, 80, new BindException("Permission denied")).exitCode())
                .isEqualTo(StartupException.CONFIGURATION);
        assertThat(Preflight.bindFailure(c, lo, 7901, new BindException("Cannot assign requested address"))
                .getMessage()).startsWith("BROKER_BIND: 127.0.0.1 is not an address of this host");
    }

    @Test
    void shouldRefuseTlsFilesThatHoldNoCertificate(@TempDir Path tmp) throws Exception {
        Path cert = Files.writeString(tmp.resolve("cert.pem"), "not a certificate");
        Path key = Files.writeString(tmp.resolve("key.pem"), "not a key");
        assertThatThrownBy(() -> Preflight.ssl(config("BROKER_TLS_CERT", cert.toString(), "BROKER_TLS_KEY",
                key.toString()))).isInstanceOfSatisfying(StartupException.class, e -> {
                    assertThat(e.exitCode()).isEqualTo(StartupException.CONFIGURATION);
                    assertThat(e.getMessage()).startsWith("BROKER_TLS_CERT, BROKER_TLS_KEY: cannot load the "
                            + "certificate chain and key: ");
                });
        assertThat(Preflight.ssl(config())).isNull();
    }
}
