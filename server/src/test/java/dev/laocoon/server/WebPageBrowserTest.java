package dev.laocoon.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.laocoon.core.testutil.PickleBuilder;
import dev.laocoon.core.testutil.ZipBuilder;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web page in a real browser: Debian's chromium and chromium-driver, headless (never a
 * downloaded browser). Signs in, uploads a malicious pickle and a benign checkpoint through the
 * form, with and without JavaScript; screenshots go to target/screenshots/.
 */
class WebPageBrowserTest {
    @TempDir
    Path dir;

    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path DRIVER = Path.of("/usr/bin/chromedriver");

    private static WebDriver browser(boolean javascript) {
        ChromeOptions o = new ChromeOptions();
        o.setBinary(CHROMIUM.toString());
        o.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,1000", "--no-first-run", "--disable-extensions");
        if (!javascript) {
            o.setExperimentalOption("prefs", java.util.Map.of("profile.managed_default_content_settings.javascript", 2));
        }
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(DRIVER.toFile())
                .usingAnyFreePort().build();
        return new ChromeDriver(service, o);
    }

    private static void screenshot(WebDriver d, String name) throws Exception {
        Path out = Path.of("target", "screenshots");
        Files.createDirectories(out);
        Files.write(out.resolve(name + ".png"), ((TakesScreenshot) d).getScreenshotAs(OutputType.BYTES));
    }

    @Test
    void signInUploadAndSeeTheVerdicts() throws Exception {
        if (!Files.isExecutable(CHROMIUM) || !Files.isExecutable(DRIVER)) {
            System.out.println("WebPageBrowserTest: chromium or chromium-driver not installed (Debian packages); skipped");
            Assumptions.abort("chromium or chromium-driver not installed");
        }
        System.setProperty("webdriver.chrome.driver", DRIVER.toString());
        Path evil = dir.resolve("evil.pkl");
        Files.write(evil, PickleBuilder.call("os", "system", "echo pwned"));
        Path model = dir.resolve("model.pt");
        Files.write(model, ZipBuilder.torchZip(ZipBuilder.torchStateDict("weight", "0", 4), 4));
        try (TestServer s = new TestServer(dir, c -> { })) {
            String base = "http://127.0.0.1:" + s.server.port() + "/";
            WebDriver d = browser(true);
            try {
                WebDriverWait wait = new WebDriverWait(d, Duration.ofSeconds(30));
                d.get(base);
                wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("signin-token")));
                // a wrong token is refused
                d.findElement(By.id("signin-token")).sendKeys("wrong-token");
                d.findElement(By.cssSelector("#signin-form button")).click();
                wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("signin-error")));
                assertThat(d.findElement(By.id("signin-error")).getText()).contains("not valid");
                d.findElement(By.id("signin-token")).clear();
                d.findElement(By.id("signin-token")).sendKeys(TestServer.ACME);
                d.findElement(By.cssSelector("#signin-form button")).click();
                wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("file")));
                assertThat(d.findElement(By.id("who")).getText()).isEqualTo("tenant acme");
                screenshot(d, "1-signed-in");

                d.findElement(By.id("file")).sendKeys(evil.toAbsolutePath().toString());
                d.findElement(By.id("scan")).click();
                wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("verdict")));
                assertThat(d.findElement(By.id("verdict")).getText()).isEqualToIgnoringCase("malicious");
                String explain = d.findElement(By.cssSelector("pre.explain")).getText();
                assertThat(explain).contains("os.system('echo pwned')");
                assertThat(d.findElement(By.cssSelector("pre.explain mark")).getText()).contains("MALICIOUS LAO101");
                assertThat(d.findElement(By.cssSelector("table.findings")).getText()).contains("LAO101")
                        .contains("evil.pkl@");
                wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("recent-rows"), "evil.pkl"));
                screenshot(d, "2-malicious");

                d.findElement(By.id("file")).sendKeys(model.toAbsolutePath().toString());
                d.findElement(By.id("scan")).click();
                wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("verdict"), "SAFE"));
                assertThat(d.findElement(By.id("verdict")).getText()).isEqualToIgnoringCase("safe");
                wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("recent-rows"), "model.pt"));
                screenshot(d, "3-safe");
            } finally {
                d.quit();
            }

            // without JavaScript the form still works: the token travels in the form, the answer is a page
            WebDriver plain = browser(false);
            try {
                plain.get(base);
                plain.findElement(By.id("form-token")).sendKeys(TestServer.GLOBEX);
                plain.findElement(By.id("file")).sendKeys(evil.toAbsolutePath().toString());
                plain.findElement(By.id("scan")).click();
                new WebDriverWait(plain, Duration.ofSeconds(30))
                        .until(ExpectedConditions.visibilityOfElementLocated(By.id("verdict")));
                assertThat(plain.findElement(By.id("verdict")).getText()).isEqualToIgnoringCase("malicious");
                assertThat(plain.findElement(By.cssSelector("pre.explain")).getText()).contains("os.system(");
                screenshot(plain, "4-no-javascript");
            } finally {
                plain.quit();
            }
            assertThat(s.awaitNoTempFiles()).isZero();
        }
        assertThat(new File("target/screenshots/2-malicious.png")).exists();
    }
}
