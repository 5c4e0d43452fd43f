package dev.claudemesh.broker.netty.it;

import dev.claudemesh.broker.core.crypto.Ed25519;
import dev.claudemesh.broker.core.testing.Identities;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.condition.EnabledIf;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.File;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * The operator console in a real headless Chromium (Debian's {@code chromium} and {@code chromium-driver}), driven
 * with Selenium, against a real broker and PostgreSQL on loopback: a wrong token is refused and shows nothing; then,
 * logged in, create a mesh, enrol a key, create an invite and read its link, join command and QR code, watch a real
 * WebSocket peer connect, change its summary and disconnect without reloading, revoke the member, verify the audit
 * chain, read the node's figures. Every wait is an explicit bounded {@link WebDriverWait}.
 *
 * <p>Without {@code /usr/bin/chromium} and {@code /usr/bin/chromedriver} the class is skipped with a message naming the
 * packages, or fails when {@code BROKER_REQUIRE_BROWSER=1} (CI). Selenium Manager is never used: the driver and the
 * browser are given by path, so nothing is downloaded.</p>
 *
 * <p>Screenshots of the main views go to {@code target/console-screenshots}; with
 * {@code -Dconsole.screenshots=<dir>} (README: {@code ../docs/screenshots}) they are also copied there.</p>
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@EnabledIf(value = "browserPresentOrRequired", disabledReason = ConsoleBrowserIT.MISSING)
class ConsoleBrowserIT {

    static final String MISSING = "skipped: no headless Chromium (/usr/bin/chromium and /usr/bin/chromedriver): "
            + "install the Debian packages chromium and chromium-driver (apt-get install chromium chromium-driver); "
            + "BROKER_REQUIRE_BROWSER=1 makes their absence a failure";

    static final Path CHROMIUM = Path.of(System.getProperty("console.chromium", "/usr/bin/chromium"));
    static final Path CHROMEDRIVER = Path.of(System.getProperty("console.chromedriver", "/usr/bin/chromedriver"));
    private static final Duration WAIT = Duration.ofSeconds(20);

    private BrokerFixture broker;
    private ChromeDriverService service;
    private WebDriver driver;
    private WebDriverWait wait;
    private String meshId;
    private Identities.MemberKeys alice;
    private WsClient peer;
    private Path tmpProfile;

    static boolean browserPresent() {
        return Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
    }

    /** Runs when the browser is there, and when it must be (then {@link #start} fails); else skipped, saying why. */
    static boolean browserPresentOrRequired() {
        return browserPresent() || "1".equals(System.getenv("BROKER_REQUIRE_BROWSER"));
    }

    @BeforeAll
    void start() throws Exception {
        if (!browserPresent()) {
            fail("headless Chromium not found (" + CHROMIUM + ", " + CHROMEDRIVER + "): install the Debian packages "
                    + "chromium and chromium-driver (apt-get install chromium chromium-driver); "
                    + "BROKER_REQUIRE_BROWSER=1 makes this a failure");
        }
        // never Selenium Manager: it would try to download a driver or a browser
        System.setProperty(ChromeDriverService.CHROME_DRIVER_EXE_PROPERTY, CHROMEDRIVER.toString());
        broker = new BrokerFixture();
        tmpProfile = Files.createTempDirectory("console-chromium");
        service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort()
                .build();
        ChromeOptions options = new ChromeOptions().setBinary(CHROMIUM.toFile())
                .addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                        "--window-size=1366,1000", "--user-data-dir=" + tmpProfile, "--no-first-run",
                        "--disable-extensions", "--lang=en-US");
        driver = new ChromeDriver(service, options);
        driver.manage().window().setSize(new Dimension(1366, 1000));
        // the console re-renders its tables on every change: an element found a moment ago may be replaced
        wait = new WebDriverWait(driver, WAIT);
        wait.ignoring(StaleElementReferenceException.class);
    }

    @AfterAll
    void stop() throws IOException {
        if (peer != null) {
            peer.close();
        }
        if (driver != null) {
            driver.quit();
        }
        if (service != null) {
            service.stop();
        }
        if (broker != null) {
            broker.close();
        }
        if (tmpProfile != null) {
            try (var files = Files.walk(tmpProfile)) {
                files.sorted(java.util.Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
            }
        }
    }

    private String url(String path) {
        return "http://127.0.0.1:" + broker.port() + path;
    }

    private WebElement visible(String css) {
        return wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector(css)));
    }

    private void textContains(String css, String text) {
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector(css), text));
    }

    private Object js(String script) {
        return ((JavascriptExecutor) driver).executeScript(script);
    }

    private void screenshot(String name) throws IOException {
        File shot = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE);
        Path dir = Path.of("target", "console-screenshots");
        Files.createDirectories(dir);
        Files.copy(shot.toPath(), dir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
        String also = System.getProperty("console.screenshots");
        if (also != null && !also.isBlank()) {
            Files.createDirectories(Path.of(also));
            Files.copy(shot.toPath(), Path.of(also).resolve(name), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private void login(String token) {
        WebElement input = visible("#token");
        input.clear();
        input.sendKeys(token);
        driver.findElement(By.id("login")).click();
    }

    @Test
    @Order(1)
    void aWrongTokenShouldBeRefusedAndShowNoData() {
        driver.get(url("/console"));
        login("not-the-token");

        textContains("#login-error", "Refused: the broker does not accept this token (401 unauthorized).");
        assertThat(driver.findElements(By.id("meshes"))).isEmpty();
        assertThat(driver.findElement(By.id("nav")).isDisplayed()).isFalse();
        assertThat(js("return sessionStorage.getItem('claudemesh.adminToken')")).isNull();
    }

    @Test
    @Order(2)
    void shouldLogInAndCreateAMesh() throws Exception {
        login(BrokerFixture.ADMIN_TOKEN);
        visible("#meshes");
        visible("#mesh-name").sendKeys("Platform team");
        driver.findElement(By.id("mesh-slug")).sendKeys("platform");
        driver.findElement(By.id("create-mesh-submit")).click();

        textContains("#mesh-title", "Platform team");
        meshId = driver.getCurrentUrl().replaceFirst(".*#/mesh/", "");
        assertThat(meshId).hasSize(32);
        HttpResponse<String> listed = broker.admin("GET", "/admin/meshes/" + meshId, null);
        assertThat(listed.statusCode()).isEqualTo(200);
        assertThat(listed.body()).contains("\"slug\":\"platform\"");
        assertThat(js("return sessionStorage.getItem('claudemesh.adminToken')")).isEqualTo(BrokerFixture.ADMIN_TOKEN);
    }

    @Test
    @Order(3)
    void shouldCreateAnInviteAndShowItsLinkCommandAndQrCode() throws Exception {
        WebElement uses = visible("#invite-max-uses");
        uses.clear();
        uses.sendKeys("5");
        new Select(driver.findElement(By.id("invite-expiry"))).selectByVisibleText("1 day");
        new Select(driver.findElement(By.id("invite-role"))).selectByValue("member");
        driver.findElement(By.id("create-invite-submit")).click();

        String link = visible("#invite-link").getText();
        assertThat(link).startsWith("ic://join/");
        assertThat(driver.findElement(By.id("invite-command")).getText()).isEqualTo("claudemesh join " + link);
        wait.until(d -> Boolean.TRUE.equals(js("const i = document.getElementById('invite-qr');"
                + " return i.complete && i.naturalWidth > 100;")));
        textContains("#invites tr.invite", "0 / 5");
        String invites = broker.admin("GET", "/admin/meshes/" + meshId + "/invites", null).body();
        assertThat(invites).contains("\"maxUses\":5").contains("\"link\":\"" + link + "\"");
        screenshot("mesh-invite.png");

        // a teammate joins with the link (what `claudemesh join` posts): the page shows the use and the new member
        // without a reload, though the teammate has not connected (no peer event announces it)
        String token = link.substring("ic://join/".length());
        EnrolmentSupport.Invite invite = new EnrolmentSupport.Invite(null, token, link, 0);
        assertThat(EnrolmentSupport.join(broker, token, invite.payloadJson(), Ed25519.generate().publicKeyHex(),
                "teammate").statusCode()).isEqualTo(200);
        textContains("#invites tr.invite", "1 / 5");
        textContains("#members", "teammate");
    }

    @Test
    @Order(4)
    void shouldEnrolAKeyAndSeeItsPeerConnectChangeAndDisconnectLive() throws Exception {
        Ed25519.KeyPair kp = Ed25519.generate();
        visible("#member-pubkey").sendKeys(kp.publicKeyHex());
        driver.findElement(By.id("member-name")).sendKeys("alice");
        driver.findElement(By.id("add-member-submit")).click();
        String aliceId = wait.until(d -> d.findElements(By.cssSelector("#members tr.member")).stream()
                .filter(r -> r.findElement(By.cssSelector(".member-name")).getText().contains("alice"))
                .map(r -> r.getAttribute("data-member-id")).findFirst().orElse(null));
        String members = broker.admin("GET", "/admin/meshes/" + meshId + "/members", null).body();
        assertThat(members).contains("\"id\":\"" + aliceId + "\",\"pubkey\":\"" + kp.publicKeyHex() + "\"");
        alice = new Identities.MemberKeys(meshId, aliceId, kp);

        peer = broker.ws();
        peer.send(Identities.sessionHello(alice, Ed25519.generate(), "s-laptop", System.currentTimeMillis(),
                3_600_000, "alice-laptop", "[{\"name\":\"backend\",\"role\":\"lead\"}]"));
        assertThat(peer.awaitType("hello_ack")).contains("hello_ack");
        wait.until(d -> !d.findElements(By.cssSelector("#peers tr.peer[data-live='true']")).isEmpty());
        textContains("#peers .peer-name", "alice-laptop");
        textContains("#peers tr.peer", "backend:lead");
        textContains("#peers-state", "live");

        peer.send("{\"type\":\"set_summary\",\"summary\":\"reviewing the payment service\"}");
        textContains("#peers .peer-summary", "reviewing the payment service");
        textContains("#mesh-live-peers", "1");
        screenshot("live-peers.png");

        peer.close();
        wait.until(d -> !d.findElements(By.cssSelector("#peers tr.peer[data-live='false']")).isEmpty());
        textContains("#peers tr.peer", "grace");
    }

    @Test
    @Order(5)
    void shouldRevokeTheMember() throws Exception {
        String row = "#members tr.member[data-member-id='" + alice.memberId() + "']";
        visible(row);
        // found and clicked in one step, retried when the row was re-rendered in between (a stale click did nothing)
        wait.until(d -> {
            d.findElement(By.cssSelector(row + " button.revoke")).click();
            return true;
        });

        wait.until(d -> "true".equals(d.findElement(By.cssSelector(row)).getAttribute("data-revoked")));
        textContains("#members-msg", "alice revoked.");
        assertThat(broker.admin("GET", "/admin/meshes/" + meshId + "/members", null).body())
                .contains("\"revoked\":true");
        try (WsClient again = broker.ws()) {
            again.send(Identities.sessionHello(alice, Ed25519.generate(), "s-again", System.currentTimeMillis(),
                    3_600_000, "again", null));
            assertThat(again.awaitClose(10_000)).isEqualTo(4002);
        }
    }

    @Test
    @Order(6)
    void shouldVerifyTheAuditChain() {
        driver.findElement(By.id("verify-audit")).click();

        textContains("#audit-result", "Audit chain intact:");
        assertThat(driver.findElement(By.id("audit-result")).getText()).matches("Audit chain intact: [1-9][0-9]* "
                + "events re-hashed\\.");
    }

    @Test
    @Order(7)
    void shouldListTheMeshWithItsCounts() throws Exception {
        driver.findElement(By.id("nav-meshes")).click();
        WebElement row = visible("#meshes tr[data-mesh-id='" + meshId + "']");
        assertThat(row.getText()).contains("Platform team").contains("platform");
        broker.createMesh("research");
        visible("#meshes tr:nth-child(2)");
        screenshot("meshes.png");
    }

    @Test
    @Order(8)
    void shouldShowTheNodesFigures() throws Exception {
        driver.findElement(By.id("nav-node")).click();
        textContains("#node-db", "up");
        wait.until(d -> d.findElement(By.id("node-connections")).getText().matches("[0-9]+"));
        wait.until(d -> d.findElement(By.id("node-latency")).getText().endsWith(" ms"));
        screenshot("node.png");
    }

    @Test
    @Order(9)
    void loggingOutShouldForgetTheToken() {
        driver.findElement(By.id("logout")).click();
        visible("#token");
        assertThat(js("return sessionStorage.getItem('claudemesh.adminToken')")).isNull();
        driver.get(url("/console/#/node"));
        visible("#token");
        assertThat(driver.findElements(By.id("node"))).isEmpty();
    }

    /** The files are served with their types, and nothing outside console/ is reachable. */
    @Test
    @Order(10)
    void theConsoleFilesShouldBeServedSafely() throws Exception {
        for (Map.Entry<String, String> e : Map.of("/console/", "text/html; charset=utf-8",
                "/console/app.js", "text/javascript; charset=utf-8", "/console/console.css", "text/css; charset=utf-8",
                "/console/vendor/qrcode.js", "text/javascript; charset=utf-8",
                "/console/vendor/qrcode-license.txt", "text/plain; charset=utf-8").entrySet()) {
            HttpResponse<String> r = broker.request("GET", e.getKey(), null, null);
            assertThat(r.statusCode()).as(e.getKey()).isEqualTo(200);
            assertThat(r.headers().firstValue("content-type")).as(e.getKey()).contains(e.getValue());
        }
        for (String bad : List.of("/console/../admin/meshes", "/console/%2e%2e/pom.xml", "/console/vendor/../app.js",
                "/console/..%2fapp.js", "/console/nothing.js", "/console/vendor/x/y.js", "/console/App.js")) {
            assertThat(broker.request("GET", bad, null, null).statusCode()).as(bad).isEqualTo(404);
        }
    }
}
