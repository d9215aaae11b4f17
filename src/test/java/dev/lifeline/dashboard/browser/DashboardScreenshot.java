package dev.lifeline.dashboard.browser;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static dev.lifeline.testing.Services.sh;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.BrowserType;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import com.microsoft.playwright.options.ColorScheme;
import dev.lifeline.testing.Services;
import dev.lifeline.testing.TestTimes;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Makes {@code docs/dashboard.png}: the page with {@code lifeline demo} running (the demo app, its
 * vault and, where OpenSSH's server is installed, its tunnel), next to a second stand-in app still
 * loading its model. Not part of the suite; run it by hand:
 *
 * <pre>
 * mvn -B -o -q test -Dtest=DashboardScreenshot -Dlifeline.screenshot=docs/dashboard.png
 * </pre>
 */
@EnabledIfSystemProperty(named = "lifeline.screenshot", matches = ".+")
class DashboardScreenshot {
    @TempDir
    Path tmp;

    @Test
    void shootThePageWithTheDemoRunning() throws Exception {
        Path out = Path.of(System.getProperty("lifeline.screenshot")).toAbsolutePath();
        // A second app that takes its time to load (the progress line), after an out-of-memory
        // traceback in its previous attempt (a known problem with its fix, an error in the chart).
        String loader = "echo 'Traceback (most recent call last):';"
                + " echo '  File \"/root/sdxl/app.py\", line 41, in <module>';"
                + " echo 'torch.cuda.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB';"
                + " i=0; while [ $i -lt 1000 ]; do i=$((i+1));"
                + " echo \"Loading checkpoint shards: $((i / 10))% ($i/1000)\"; sleep 1; done";
        String yaml = "services:\n"
                + "  sdxl:\n"
                + "    command: " + sh(loader) + "\n"
                + "    ready: { log: 'Running on local URL', timeout: 30m }\n"
                + "dashboard: { listen: 127.0.0.1:0 }\n";
        try (LiveDaemon daemon = new LiveDaemon(tmp, "sdxl", yaml)) {
            daemon.ok("up", "--no-wait"); // sdxl keeps loading
            int port = Services.freePort();
            daemon.ok("demo", "--port", Integer.toString(port), "--load-seconds", "3");
            HttpClient http = HttpClient.newHttpClient();
            String[] prompts = {
                "a lighthouse on a cliff at dawn, volumetric light",
                "hatsune miku, city pop album cover, 1985",
                "isometric cozy reading room, soft shadows",
                "macro photo of a dew drop on a fern",
                "a red fox in fresh snow, telephoto"
            };
            for (int i = 0; i < prompts.length; i++) {
                http.send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/generate?seed=" + (1234 + i)
                                        + "&prompt=" + java.net.URLEncoder.encode(prompts[i], "UTF-8")))
                                .build(),
                        HttpResponse.BodyHandlers.discarding());
            }
            String url = daemon.dashboardUrl();
            try (Playwright pw = Playwright.create(
                            new Playwright.CreateOptions().setEnv(Map.of("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")));
                    Browser browser = pw.chromium()
                            .launch(new BrowserType.LaunchOptions()
                                    .setExecutablePath(Paths.get("/usr/bin/chromium"))
                                    .setArgs(List.of(
                                            "--no-sandbox",
                                            "--disable-gpu",
                                            "--disable-background-networking",
                                            "--disable-component-update",
                                            "--disable-sync",
                                            "--no-first-run",
                                            "--hide-scrollbars")))) {
                BrowserContext c = browser.newContext(new Browser.NewContextOptions()
                        .setViewportSize(1280, 1000)
                        .setColorScheme(ColorScheme.LIGHT));
                Page page = c.newPage();
                page.navigate(url);
                assertThat(page.locator("article[data-service='demo']")).hasAttribute("data-state", "ready");
                page.selectOption("#log-service", "sdxl");
                page.locator("#problems .problem").first().waitFor();
                page.locator("#doctor-list .summary").waitFor();
                page.waitForFunction(
                        "n => { const i = [...document.querySelectorAll('#output-list img')];"
                                + " return i.length >= n && i.every(x => x.complete && x.naturalWidth > 0); }",
                        prompts.length,
                        new Page.WaitForFunctionOptions().setTimeout(TestTimes.APP.toMillis()));
                // services, logs, outputs, tunnels and backups: the doctor and gallery below stay out (size)
                double bottom = ((Number) page.evaluate(
                                "() => document.getElementById('doctor').getBoundingClientRect().top + scrollY"))
                        .doubleValue();
                page.screenshot(new Page.ScreenshotOptions()
                        .setPath(out)
                        .setFullPage(true)
                        .setClip(0, 0, 1280, bottom - 8));
                Path pngquant = Path.of("/usr/bin/pngquant"); // Debian's pngquant, where installed: a third of the size
                if (Files.isExecutable(pngquant)) {
                    Path small = tmp.resolve("small.png");
                    Process q = new ProcessBuilder(
                                    pngquant.toString(),
                                    "--quality",
                                    "60-95",
                                    "--strip",
                                    "--force",
                                    "--output",
                                    small.toString(),
                                    out.toString())
                            .inheritIO()
                            .start();
                    if (q.waitFor(TestTimes.SHORT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)
                            && q.exitValue() == 0) {
                        Files.move(small, out, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                    }
                }
                System.out.println("wrote " + out + " (" + Files.size(out) + " bytes)");
            }
        }
    }
}
