package dev.claudemesh.broker.netty.it;

import dev.claudemesh.broker.core.crypto.Ed25519;
import dev.claudemesh.broker.core.testing.Identities;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * TLS terminated by the broker itself ({@code BROKER_TLS_CERT}/{@code BROKER_TLS_KEY}, PEM). The certificate is made
 * at test time with the JDK's {@code keytool} (no keys are committed); the clients trust exactly that certificate and
 * verify the host name against its {@code IP:127.0.0.1} subject alternative name.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TlsIT {

    private static final String STORE_PASSWORD = "test-only";

    private BrokerFixture broker;
    private SSLContext trustingTestCert;
    private HttpClient https;
    private AdminHttp admin;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        Path keystore = dir.resolve("broker.p12");
        keytool("-genkeypair", "-alias", "broker", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
                "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1",
                "-storetype", "PKCS12", "-keystore", keystore.toString(),
                "-storepass", STORE_PASSWORD, "-keypass", STORE_PASSWORD);
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            ks.load(in, STORE_PASSWORD.toCharArray());
        }
        Certificate cert = ks.getCertificate("broker");
        PrivateKey key = (PrivateKey) ks.getKey("broker", STORE_PASSWORD.toCharArray());
        Path certPem = Files.writeString(dir.resolve("broker.crt"), pem("CERTIFICATE", cert.getEncoded()));
        // PKCS#8, as `openssl genpkey` writes it and as Netty reads it
        Path keyPem = Files.writeString(dir.resolve("broker.key"), pem("PRIVATE KEY", key.getEncoded()));

        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("broker", cert);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        trustingTestCert = SSLContext.getInstance("TLS");
        trustingTestCert.init(null, tmf.getTrustManagers(), null);

        broker = new BrokerFixture(Map.of("BROKER_TLS_CERT", certPem.toString(), "BROKER_TLS_KEY", keyPem.toString()));
        https = HttpClient.newBuilder().sslContext(trustingTestCert).connectTimeout(Duration.ofSeconds(5)).build();
        admin = new AdminHttp("https://127.0.0.1:" + broker.port(), https, BrokerFixture.ADMIN_TOKEN);
    }

    @AfterAll
    void stop() {
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void shouldAnswerHealthOverHttps() throws Exception {
        HttpResponse<String> r = admin.request("GET", "/health", null, null);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("\"status\":\"ok\"").contains("\"db\":\"up\"");
        assertThat(r.sslSession()).isPresent();
    }

    @Test
    void shouldCompleteSessionHelloOverWss() throws Exception {
        String mesh = admin.createMesh("tls");
        Identities.MemberKeys alice = admin.addMember(mesh, "alice");
        Ed25519.KeyPair session = Ed25519.generate();
        Frames frames = new Frames();
        WebSocket ws = https.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5))
                .buildAsync(URI.create("wss://127.0.0.1:" + broker.port() + "/ws"), frames)
                .get(10, TimeUnit.SECONDS);
        try {
            ws.sendText(Identities.sessionHello(alice, session, "tls-1", System.currentTimeMillis(), 3_600_000,
                    "alice-tls", null), true).get(5, TimeUnit.SECONDS);
            String ack = frames.next();
            assertThat(ack).contains("\"type\":\"hello_ack\"").contains("\"presenceId\":\"");
            ws.sendText("{\"type\":\"list_peers\",\"_reqId\":\"r1\"}", true).get(5, TimeUnit.SECONDS);
            String peers = frames.next();
            assertThat(peers).contains("\"type\":\"peers_list\"").contains("\"_reqId\":\"r1\"")
                    .contains("\"pubkey\":\"" + session.publicKeyHex() + "\"");
        } finally {
            ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(5, TimeUnit.SECONDS);
        }
    }

    /**
     * The lingering close over TLS: the 413 goes out, then {@code close_notify} and the FIN, while the JDK's client is
     * still sending a body eight times the limit (it reads only once the body is out), on TLS 1.3 and 1.2.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
    void shouldDeliverThe413OverHttpsWhileTheClientIsStillSending(String protocol) throws Exception {
        HttpClient client = HttpClient.newBuilder().sslContext(trustingTestCert)
                .sslParameters(new SSLParameters(null, new String[] {protocol}))
                .connectTimeout(Duration.ofSeconds(5)).build();
        String body = "{\"cwd\":\"/tls/size\",\"pid\":1,\"status\":\"idle\"" + " ".repeat(512 * 1024) + "}";
        for (int i = 0; i < 10; i++) {
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(
                            URI.create("https://127.0.0.1:" + broker.port() + "/hook/set-status"))
                    .timeout(Duration.ofSeconds(10))
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as("attempt %d", i + 1).isEqualTo(413);
            assertThat(r.body()).isEqualTo("{\"ok\":false,\"error\":\"payload too large\"}");
            assertThat(r.sslSession()).hasValueSatisfying(s -> assertThat(s.getProtocol()).isEqualTo(protocol));
        }
    }

    @Test
    void shouldNotSpeakPlainHttpOnTheTlsPort() {
        HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        AdminHttp cleartext = new AdminHttp("http://127.0.0.1:" + broker.port(), plain, null);
        assertThatThrownBy(() -> cleartext.request("GET", "/health", null, null)).isInstanceOf(IOException.class);
    }

    @Test
    void shouldRefuseClientsThatDoNotTrustTheCertificate() {
        HttpClient defaultTrust = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        AdminHttp untrusting = new AdminHttp("https://127.0.0.1:" + broker.port(), defaultTrust, null);
        assertThatThrownBy(() -> untrusting.request("GET", "/health", null, null))
                .isInstanceOf(javax.net.ssl.SSLHandshakeException.class);
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private static void keytool(String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new AssertionError("keytool failed: " + out);
        }
    }

    /** Collects whole text messages of a WebSocket. */
    private static final class Frames implements WebSocket.Listener {
        private final BlockingQueue<String> messages = new LinkedBlockingQueue<>();
        private final StringBuilder partial = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                messages.add(partial.toString());
                partial.setLength(0);
            }
            webSocket.request(1);
            return CompletableFuture.completedFuture(null);
        }

        String next() throws InterruptedException {
            String m = messages.poll(5, TimeUnit.SECONDS);
            if (m == null) {
                throw new AssertionError("no WebSocket message within 5 s");
            }
            return m;
        }
    }
}
