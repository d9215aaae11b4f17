package dev.lifeline.dashboard.browser;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static dev.lifeline.testing.Services.sh;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.BrowserType;
import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import com.microsoft.playwright.Response;
import com.microsoft.playwright.assertions.LocatorAssertions;
import com.microsoft.playwright.options.ColorScheme;
import com.microsoft.playwright.options.WaitForSelectorState;
import dev.lifeline.testing.NvidiaSmiStandIn;
import dev.lifeline.testing.Services;
import dev.lifeline.testing.TestTimes;
import java.awt.image.BufferedImage;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard page in a real headless Chromium (Debian's {@code /usr/bin/chromium}, driven by
 * Playwright) against a real daemon supervising the demo model app and a shell service that keeps
 * writing its log. One daemon and one browser for the class; each test opens its own page.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DashboardPageTest {
    /** The promise: a state change shows on the open page within 1 s. Scaled for slow machines. */
    static final Duration PUSHED = TestTimes.scaled(Duration.ofSeconds(2));

    static final String XSS = "<img src=x onerror=\"window.__xss=1\"><script>window.__xss=2</script>";

    @TempDir
    static Path tmp;

    Path outputs;
    Path gpuBin;
    int demoPort;
    LiveDaemon daemon;
    String tokenUrl;
    String base;
    Playwright playwright;
    Browser browser;
    BrowserContext context;
    Page page;

    @BeforeAll
    void startDaemonAndBrowser() throws Exception {
        outputs = Files.createDirectories(tmp.resolve("outputs"));
        int port = Services.freePort();
        demoPort = port;
        String ticker = "i=0; while true; do i=$((i+1)); echo \"tick $i\";" + " if [ $((i % 10)) -eq 1 ]; then echo '"
                + XSS + "'; fi; sleep 0.3; done";
        String yaml = "services:\n"
                + "  demo:\n"
                + "    command: " + Services.demoCommand(port, 1, outputs) + "\n"
                + "    port: " + port + "\n"
                + "    ready: { http: /, timeout: 1m }\n"
                + "    restart: { policy: always, backoff: 1s..5s }\n"
                + "    stop: { timeout: 5s }\n"
                + "    outputs: " + outputs + "\n"
                + "  ticker:\n"
                + "    command: " + sh(ticker) + "\n"
                + "    restart: { policy: never }\n"
                + "  oom:\n"
                + "    command: "
                + sh("echo 'Traceback (most recent call last):';"
                        + " echo '  File \"app.py\", line 3, in <module>';"
                        + " echo 'torch.cuda.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB';"
                        + " echo 'model loaded on the CPU instead'; exec sleep 1000")
                + "\n"
                + "backup:\n"
                + "  repository: " + tmp.resolve("vault") + "\n"
                // a fixed free port, not 0: the page must find the daemon again at the same address after a restart
                + "dashboard: { listen: 127.0.0.1:" + Services.freePort() + " }\n";
        gpuBin = new NvidiaSmiStandIn().gpu("NVIDIA A10", 24576, 2048).writeTo(tmp.resolve("gpu-bin"));
        daemon = new LiveDaemon(tmp, yaml).env("PATH", gpuBin + ":" + System.getenv("PATH"));
        daemon.ok("up");
        tokenUrl = daemon.dashboardUrl();
        base = URI.create(tokenUrl).resolve("/").toString();
        playwright = Playwright.create(
                new Playwright.CreateOptions().setEnv(Map.of("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")));
        browser = playwright
                .chromium()
                .launch(new BrowserType.LaunchOptions()
                        .setExecutablePath(Paths.get("/usr/bin/chromium"))
                        .setHeadless(true)
                        .setArgs(List.of(
                                "--no-sandbox",
                                "--disable-gpu",
                                "--disable-background-networking",
                                "--disable-component-update",
                                "--disable-sync",
                                "--no-first-run")));
    }

    @AfterAll
    void stopAll() throws Exception {
        if (browser != null) {
            browser.close();
        }
        if (playwright != null) {
            playwright.close();
        }
        if (daemon != null) {
            daemon.close();
        }
    }

    @BeforeEach
    void openPage() throws Exception {
        awaitReady("demo");
        context = browser.newContext(new Browser.NewContextOptions().setViewportSize(1280, 900));
        context.setDefaultTimeout(TestTimes.SHORT.toMillis());
        page = context.newPage();
        page.onPageError(e -> System.err.println("page error: " + e));
        page.navigate(tokenUrl);
        assertThat(card("demo")).isVisible();
        assertThat(page.locator("#link")).hasAttribute("data-state", "live");
    }

    @AfterEach
    void closePage() {
        if (context != null) {
            context.close();
        }
    }

    private Locator card(String service) {
        return page.locator("#service-list article[data-service='" + service + "']");
    }

    private void awaitReady(String service) {
        await().atMost(TestTimes.APP)
                .until(() -> daemon.service(service).path("state").asText().equals("ready"));
    }

    private static LocatorAssertions.HasAttributeOptions within(Duration d) {
        return new LocatorAssertions.HasAttributeOptions().setTimeout(d.toMillis());
    }

    @Test
    void thePageLoadsWithTheTokenAndIsRefusedWithout() throws Exception {
        HttpClient http =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpResponse<String> bare = http.send(
                HttpRequest.newBuilder(URI.create(base))
                        .timeout(Duration.ofSeconds(5))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(bare.statusCode()).isEqualTo(401);
        assertThat(bare.body()).doesNotContain("Services");

        try (BrowserContext stranger = browser.newContext()) {
            Page p = stranger.newPage();
            Response r = p.navigate(base);
            assertThat(r.status()).isEqualTo(401);
            assertThat(p.locator("#service-list").count()).isZero();
            Response api = p.navigate(base + "api/services");
            assertThat(api.status()).isEqualTo(401);
        }

        // the page opened with ?token= in @BeforeEach: the token went into a cookie, out of the address
        assertThat(page.url()).doesNotContain("token");
        assertThat(card("ticker")).isVisible();
        assertThat(card("demo").locator("[data-fact=pid] dd")).hasText(Long.toString(daemon.pid("demo")));
    }

    @Test
    void aCrashShowsOnTheOpenPageWithoutAReload() throws Exception {
        long pid = daemon.pid("demo");
        assertThat(card("demo")).hasAttribute("data-pid", Long.toString(pid));
        // every state the card shows from now on, and a mark that a reload would wipe
        page.evaluate("() => { window.__mark = 'same page'; window.__states = [];"
                + " new MutationObserver(() => { const c = document.querySelector(\"article[data-service='demo']\");"
                + " if (c) window.__states.push(c.dataset.state + ' ' + c.dataset.pid); })"
                + ".observe(document.getElementById('service-list'), {childList: true, subtree: true}); }");

        long killed = System.nanoTime();
        new ProcessBuilder("kill", "-KILL", Long.toString(pid)).start().waitFor();

        page.waitForFunction(
                "pid => window.__states.some(s => !s.startsWith('ready') || !s.endsWith(' ' + pid))",
                Long.toString(pid),
                new Page.WaitForFunctionOptions().setTimeout(PUSHED.toMillis()));
        System.out.printf("crash shown on the page %d ms after kill -9%n", (System.nanoTime() - killed) / 1_000_000);
        assertThat(page.evaluate("() => window.__mark")).isEqualTo("same page");
        assertThat(page.locator("#announce"))
                .containsText(
                        "demo is now",
                        new com.microsoft.playwright.assertions.LocatorAssertions.ContainsTextOptions()
                                .setTimeout(PUSHED.toMillis()));
        // and it comes back on its own (restart: always), shown without a reload too
        awaitReady("demo");
        long fresh = daemon.pid("demo");
        assertThat(fresh).isNotEqualTo(pid);
        assertThat(card("demo")).hasAttribute("data-pid", Long.toString(fresh), within(PUSHED));
        assertThat(card("demo")).hasAttribute("data-state", "ready", within(PUSHED));
        assertThat(page.evaluate("() => window.__mark")).isEqualTo("same page");
    }

    @Test
    void clickingRestartAndConfirmingRestartsTheService() throws Exception {
        long before = daemon.pid("demo");

        card("demo").locator("button.restart").click();
        Locator dialog = page.locator("dialog#confirm");
        assertThat(dialog).isVisible();
        assertThat(dialog).containsText("Restart demo?");
        page.locator("#confirm-ok").click();

        await().atMost(TestTimes.APP).until(() -> {
            var s = daemon.service("demo");
            return s.path("state").asText().equals("ready") && s.path("pid").asLong() != before;
        });
        long after = daemon.pid("demo");
        assertThat(card("demo")).hasAttribute("data-pid", Long.toString(after), within(PUSHED));
    }

    @Test
    void stopByKeyboardAsksFirstAndEscapeLeavesTheServiceRunning() throws Exception {
        long before = daemon.pid("demo");

        // by keyboard alone: the button takes focus and Enter, the dialog takes Escape
        card("demo").locator("button.stop").focus();
        page.keyboard().press("Enter");
        assertThat(page.locator("dialog#confirm")).containsText("Stop demo?");
        assertThat(page.locator("#confirm-cancel")).isFocused();
        page.keyboard().press("Escape");

        assertThat(page.locator("dialog#confirm")).isHidden();
        assertThat(daemon.service("demo").path("state").asText()).isEqualTo("ready");
        assertThat(daemon.pid("demo")).isEqualTo(before);
    }

    @Test
    void theLogTailGrowsAsTheAppWrites() throws Exception {
        page.selectOption("#log-service", "ticker");
        Locator ticks = page.locator("#log-view .line .msg", new Page.LocatorOptions().setHasText("tick "));
        ticks.last().waitFor();
        int first = lastTick();

        page.waitForFunction(
                "n => { const m = [...document.querySelectorAll('#log-view .line .msg')]"
                        + ".map(e => /^tick (\\d+)$/.exec(e.textContent)).filter(Boolean);"
                        + " return m.length && Number(m[m.length - 1][1]) >= n; }",
                first + 3,
                new Page.WaitForFunctionOptions().setTimeout(TestTimes.SHORT.toMillis()));
        assertThat(lastTick()).isGreaterThanOrEqualTo(first + 3);
    }

    private int lastTick() {
        List<String> texts = page.locator("#log-view .line .msg").allTextContents();
        Pattern tick = Pattern.compile("^tick (\\d+)$");
        int last = -1;
        for (String t : texts) {
            Matcher m = tick.matcher(t);
            if (m.matches()) {
                last = Integer.parseInt(m.group(1));
            }
        }
        return last;
    }

    @Test
    void aTracebackIsOneFoldedBlockWithItsKnownProblemsFixAndCountsInTheChart() {
        page.selectOption("#log-service", "oom");

        Locator traceback = page.locator("#log-view details.traceback");
        assertThat(traceback).hasCount(1);
        assertThat(traceback.locator("summary")).containsText("torch.cuda.OutOfMemoryError");
        assertThat(traceback.locator("pre")).isHidden();
        traceback.locator("summary").click();
        assertThat(traceback.locator("pre")).containsText("File \"app.py\", line 3, in <module>");
        Locator problem = page.locator("#problems .problem[data-problem='cuda-oom']");
        assertThat(problem).isVisible();
        assertThat(problem.locator(".fix")).containsText("nvidia-smi");
        assertThat(page.locator("#error-chart svg rect.bar")).hasCount(1);
        assertThat(page.locator("#error-chart svg")).hasAttribute("aria-label", "1 error in the last 24 hours");

        page.selectOption("#log-level", "error");
        assertThat(page.locator("#log-view .line")).hasCount(1);
        page.selectOption("#log-level", "");
        page.fill("#log-search", "CPU instead");
        assertThat(page.locator("#log-view .line")).hasCount(1);
        assertThat(page.locator("#log-view .line .msg")).hasText("model loaded on the CPU instead");
    }

    @Test
    void aLogLineWithMarkupShowsAsTextAndRunsNothing() {
        page.selectOption("#log-service", "ticker");

        Locator line = page.locator("#log-view .line .msg", new Page.LocatorOptions().setHasText("onerror="));
        line.first().waitFor(new Locator.WaitForOptions().setTimeout(TestTimes.SHORT.toMillis()));

        assertThat(line.first()).hasText(XSS);
        assertThat(page.locator("#log-view img")).hasCount(0);
        assertThat(page.locator("#log-view script")).hasCount(0);
        assertThat(page.evaluate("() => window.__xss === undefined")).isEqualTo(true);
    }

    @Test
    void aNewImageInTheOutputsFolderAppearsInRecentOutputs() throws Exception {
        byte[] png = randomPng();
        String sha =
                HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(png));
        Path part = Files.write(tmp.resolve("new.png.part"), png);

        Files.move(part, outputs.resolve("00042-1234.png"), StandardCopyOption.ATOMIC_MOVE);

        Locator tile = page.locator("#output-list a[data-sha='" + sha + "']");
        tile.waitFor(new Locator.WaitForOptions().setTimeout(TestTimes.SHORT.toMillis()));
        assertThat(tile).containsText("00042-1234.png");
        assertThat(tile).hasAttribute("href", "/api/objects/" + sha);
        // the thumbnail comes once the server has made it (a placeholder until then)
        tile.locator("img")
                .waitFor(new Locator.WaitForOptions()
                        .setState(WaitForSelectorState.VISIBLE)
                        .setTimeout(TestTimes.SHORT.toMillis()));
        page.waitForFunction(
                "sha => { const i = document.querySelector(`#output-list a[data-sha='${sha}'] img`);"
                        + " return i && i.complete && i.naturalWidth > 0; }",
                sha,
                new Page.WaitForFunctionOptions().setTimeout(TestTimes.SHORT.toMillis()));
    }

    @Test
    void snapshotNowCutsASnapshotTheBackupCardShowsAndVerifySaysOk() throws Exception {
        byte[] png = randomPng();
        String sha =
                HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(png));
        Path part = Files.write(tmp.resolve("snap.png.part"), png);
        Files.move(part, outputs.resolve("snap-" + sha.substring(0, 8) + ".png"), StandardCopyOption.ATOMIC_MOVE);
        page.locator("#output-list a[data-sha='" + sha + "']").waitFor();
        Locator snapshot = page.locator("#backup-list [data-fact=snapshot] dd");
        String before = snapshot.textContent();

        page.locator("#snapshot-now").click();

        assertThat(snapshot)
                .not()
                .hasText(before, new LocatorAssertions.HasTextOptions().setTimeout(TestTimes.SHORT.toMillis()));
        assertThat(snapshot).hasText(Pattern.compile("^\\d{8}-\\d{6}\\S*$"));
        assertThat(page.locator("#backup-list [data-fact=snapshot-age] dd")).containsText("ago");
        page.locator("#verify").click();
        assertThat(page.locator("#toasts"))
                .containsText(
                        tmp.resolve("vault") + " ok",
                        new LocatorAssertions.ContainsTextOptions().setTimeout(TestTimes.APP.toMillis()));
    }

    private static byte[] randomPng() throws Exception {
        BufferedImage img = new BufferedImage(48, 48, BufferedImage.TYPE_INT_RGB);
        Random r = new Random();
        for (int y = 0; y < 48; y++) {
            for (int x = 0; x < 48; x++) {
                img.setRGB(x, y, r.nextInt(0x1000000));
            }
        }
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        ImageIO.write(img, "png", b);
        return b.toByteArray();
    }

    @Test
    void theGalleryFindsAnImageByItsSeedAndShowsItsPromptAsText() throws Exception {
        long seed = 700_000_000L + new Random().nextInt(1_000_000);
        String prompt = "a lighthouse <img src=x onerror=\"window.__xss=3\"> at dawn";
        HttpResponse<String> made = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + demoPort + "/generate?seed=" + seed
                                        + "&prompt=" + java.net.URLEncoder.encode(prompt, "UTF-8")))
                                .timeout(TestTimes.SHORT)
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(made.statusCode()).as(made.body()).isEqualTo(200);
        page.fill("#find-q", "seed: " + seed);

        // stored, then indexed: a search finds it within a couple of seconds of the write
        Locator hit = page.locator("#find-hits button.hit");
        await().atMost(TestTimes.SHORT)
                .pollInSameThread()
                .pollInterval(Duration.ofMillis(300))
                .until(() -> {
                    page.locator("#find-form button[type=submit]").click();
                    page.waitForFunction(
                            "() => !document.getElementById('find-hits').textContent.includes('searching')");
                    return hit.count() > 0;
                });

        assertThat(hit).hasCount(1);
        assertThat(hit.locator(".prompt")).hasText(prompt);
        assertThat(hit.locator(".cap")).containsText("seed " + seed);
        hit.click();
        Locator detail = page.locator("dialog#detail");
        assertThat(detail).isVisible();
        assertThat(detail.locator("[data-fact=prompt] dd")).hasText(prompt);
        assertThat(detail.locator("[data-fact=seed] dd")).hasText(Long.toString(seed));
        assertThat(detail.locator("[data-fact=model] dd")).containsText("demo-diffusion-tiny");
        String href = detail.locator("#detail-download").getAttribute("href");
        assertThat(href).matches("/api/objects/[0-9a-f]{64}");
        var original = context.request().get(base + href.substring(1));
        assertThat(original.status()).isEqualTo(200);
        assertThat(original.body()).startsWith(new byte[] {(byte) 0x89, 'P', 'N', 'G'});
        assertThat(page.locator("#find-hits img[src='x'], dialog#detail dl img"))
                .hasCount(0);
        assertThat(page.evaluate("() => window.__xss === undefined")).isEqualTo(true);
    }

    @Test
    void aFacetClickNarrowsTheSearchAndMoreShowsTheNextPage() throws Exception {
        String tag = "pager" + Integer.toString(new Random().nextInt(1 << 30), 36);
        String a = tag + "-model-a";
        String b = tag + "-model-b";
        for (int i = 0; i < 50; i++) {
            String model = i < 45 ? a : b;
            byte[] png = infotextPng(
                    i,
                    tag + " castle number " + i + "\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: " + (9000 + i)
                            + ", Size: 24x24, Model: " + model);
            Path part = Files.write(tmp.resolve(tag + "-" + i + ".part"), png);
            Files.move(part, outputs.resolve(tag + "-" + i + ".png"), StandardCopyOption.ATOMIC_MOVE);
        }
        page.fill("#find-q", tag);
        Locator hits = page.locator("#find-hits button.hit");
        await().atMost(TestTimes.APP)
                .pollInSameThread()
                .pollInterval(Duration.ofMillis(500))
                .until(() -> {
                    page.locator("#find-form button[type=submit]").click();
                    page.waitForFunction(
                            "() => !document.getElementById('find-hits').textContent.includes('searching')");
                    return page.locator("#find-count").textContent().equals("48 of 50");
                });
        assertThat(hits).hasCount(48);
        List<String> first = shas(hits);

        // more: the next page, other images, added below the first
        assertThat(page.locator("#find-more")).isVisible();
        page.locator("#find-more").click();
        assertThat(hits).hasCount(50);
        assertThat(page.locator("#find-count")).hasText("50 of 50");
        assertThat(page.locator("#find-more")).isHidden();
        List<String> all = shas(hits);
        assertThat(all.subList(0, 48)).isEqualTo(first);
        assertThat(new java.util.HashSet<>(all)).hasSize(50);
        assertThat(first).doesNotContainAnyElementsOf(all.subList(48, 50));

        // a facet: its filter goes into the query, and only its images are left
        Locator facet = page.locator("#find-facets button[data-facet=model][data-value='" + b + "']");
        assertThat(facet).containsText("(5)");
        facet.click();
        assertThat(page.locator("#find-q")).hasValue(tag + " model:\"" + b + "\"");
        assertThat(hits).hasCount(5);
        assertThat(page.locator("#find-count")).hasText("5 of 5");
        for (String cap : hits.locator(".cap").allTextContents()) {
            assertThat(cap).contains(b);
        }
        assertThat(page.locator("#find-more")).isHidden();
        assertThat(page.locator("#find-facets button[data-facet=model][data-value='" + a + "']"))
                .hasCount(0);
    }

    private static List<String> shas(Locator tiles) {
        List<String> out = new java.util.ArrayList<>();
        for (int i = 0; i < tiles.count(); i++) {
            out.add(tiles.nth(i).getAttribute("data-sha"));
        }
        return out;
    }

    @Test
    void restoreFromTheGalleryPutsADeletedImageBackBitForBitAndRefusesATakenPath() throws Exception {
        String tag = "gone" + Integer.toString(new Random().nextInt(1 << 30), 36);
        byte[] back = infotextPng(1, tag + " lighthouse\nSteps: 20, Seed: 1, Model: m");
        byte[] blocked = infotextPng(2, tag + " harbour\nSteps: 20, Seed: 2, Model: m");
        byte[] other = randomPng();
        String backSha = sha(back);
        String blockedSha = sha(blocked);
        Path backFile = outputs.resolve(tag + "-back.png");
        Path blockedFile = outputs.resolve(tag + "-blocked.png");
        // a file that stays: a snapshot of an emptied folder is not cut (the vault keeps the last one)
        Files.writeString(outputs.resolve(tag + "-stays.txt"), "stays");
        Files.move(Files.write(tmp.resolve(tag + "1.part"), back), backFile, StandardCopyOption.ATOMIC_MOVE);
        Files.move(Files.write(tmp.resolve(tag + "2.part"), blocked), blockedFile, StandardCopyOption.ATOMIC_MOVE);
        // in a snapshot, then deleted from the outputs, then a snapshot without them: only the vault has them
        await().atMost(TestTimes.APP)
                .pollInSameThread() // Playwright is used from one thread only
                .pollInterval(Duration.ofSeconds(1))
                .until(() -> inASnapshot(backSha) && inASnapshot(blockedSha));
        Files.delete(backFile);
        Files.delete(blockedFile);
        await().atMost(TestTimes.APP)
                .pollInSameThread()
                .pollInterval(Duration.ofSeconds(1))
                .until(() -> deleted(backSha) && deleted(blockedSha));
        Files.write(blockedFile, other); // something else takes the second one's place

        openInGallery(backSha);
        Locator restore = page.locator("#detail-restore");
        assertThat(restore).isVisible();
        restore.click();
        assertThat(page.locator("#detail-restore-result")).hasText("restored to " + backFile);
        assertThat(Files.readAllBytes(backFile)).isEqualTo(back);
        assertThat(restore).isHidden();
        page.locator("#detail-close").click();

        openInGallery(blockedSha);
        page.locator("#detail-restore").click();
        Locator refused = page.locator("#detail-restore-result.error");
        assertThat(refused).containsText(blockedFile + " is taken");
        assertThat(refused).containsText("move or rename what is there");
        assertThat(refused).containsText("--restore-to");
        assertThat(Files.readAllBytes(blockedFile)).isEqualTo(other);
        // the API says the same, with 409, and still changes nothing
        var again = context.request()
                .post(
                        base + "api/objects/" + blockedSha + "/restore",
                        com.microsoft.playwright.options.RequestOptions.create()
                                .setHeader("X-Lifeline", "1")
                                .setData("{}"));
        assertThat(again.status()).isEqualTo(409);
        assertThat(again.text()).contains("is taken");
        assertThat(Files.readAllBytes(blockedFile)).isEqualTo(other);
        var noHeader = context.request().post(base + "api/objects/" + backSha + "/restore");
        assertThat(noHeader.status()).isEqualTo(403);
    }

    private void openInGallery(String sha) {
        page.fill("#find-q", "sha: " + sha);
        page.locator("#find-form button[type=submit]").click();
        Locator hit = page.locator("#find-hits button.hit[data-sha='" + sha + "']");
        hit.click();
        assertThat(page.locator("dialog#detail")).isVisible();
        assertThat(page.locator("dialog#detail [data-fact=deleted] dd")).containsText("yes");
    }

    /** The catalog's hit for this content, through the API, or null. */
    private com.fasterxml.jackson.databind.JsonNode findHit(String sha) throws Exception {
        var r = context.request().get(base + "api/find?q=" + java.net.URLEncoder.encode("sha: " + sha, "UTF-8"));
        if (r.status() != 200) {
            return null;
        }
        for (var hit : new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(r.text())
                .path("hits")) {
            if (hit.path("sha256").asText().equals(sha)) {
                return hit;
            }
        }
        return null;
    }

    /** Asks for a snapshot and says whether one (not only the journal) holds the content. */
    private boolean inASnapshot(String sha) throws Exception {
        var hit = findHit(sha);
        if (hit != null) {
            for (var s : hit.path("snapshots")) {
                if (!s.asText().equals("pending")) {
                    return true;
                }
            }
        }
        snapshotNow();
        return false;
    }

    private boolean deleted(String sha) throws Exception {
        var hit = findHit(sha);
        if (hit != null && hit.path("deleted").asBoolean()) {
            return true;
        }
        snapshotNow();
        return false;
    }

    private void snapshotNow() {
        context.request()
                .post(
                        base + "api/backup/snapshot",
                        com.microsoft.playwright.options.RequestOptions.create()
                                .setHeader("X-Lifeline", "1")
                                .setData("{}"));
    }

    private static String sha(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    /** A PNG with an A1111 {@code parameters} text chunk, as the web UIs write them. */
    static byte[] infotextPng(long seed, String parameters) throws Exception {
        BufferedImage img = new BufferedImage(24, 24, BufferedImage.TYPE_INT_RGB);
        Random r = new Random(seed * 7919 + System.nanoTime());
        for (int y = 0; y < 24; y++) {
            for (int x = 0; x < 24; x++) {
                img.setRGB(x, y, r.nextInt(0x1000000));
            }
        }
        javax.imageio.ImageWriter w = ImageIO.getImageWritersByFormatName("png").next();
        javax.imageio.metadata.IIOMetadata md = w.getDefaultImageMetadata(
                javax.imageio.ImageTypeSpecifier.createFromRenderedImage(img), w.getDefaultWriteParam());
        javax.imageio.metadata.IIOMetadataNode entry = new javax.imageio.metadata.IIOMetadataNode("tEXtEntry");
        entry.setAttribute("keyword", "parameters");
        entry.setAttribute("value", parameters);
        javax.imageio.metadata.IIOMetadataNode text = new javax.imageio.metadata.IIOMetadataNode("tEXt");
        text.appendChild(entry);
        javax.imageio.metadata.IIOMetadataNode root =
                new javax.imageio.metadata.IIOMetadataNode("javax_imageio_png_1.0");
        root.appendChild(text);
        md.mergeTree("javax_imageio_png_1.0", root);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try (javax.imageio.stream.ImageOutputStream ios = ImageIO.createImageOutputStream(out)) {
            w.setOutput(ios);
            w.write(new javax.imageio.IIOImage(img, null, md));
        } finally {
            w.dispose();
        }
        return out.toByteArray();
    }

    /** Last: it restarts the daemon (the apps stay; the new daemon adopts them). */
    @Test
    @Order(Integer.MAX_VALUE)
    void whenTheDaemonGoesThePageSaysSoAndComesBackWithIt() throws Exception {
        long app = daemon.pid("demo");
        long pid = Long.parseLong(
                Files.readString(daemon.home.resolve("daemon.pid")).trim());
        page.evaluate("() => { window.__mark = 'same page'; }");

        ProcessHandle d = ProcessHandle.of(pid).orElseThrow();
        d.destroy(); // TERM: the daemon goes, its apps stay
        await().atMost(TestTimes.SHORT).until(() -> !d.isAlive());

        Locator link = page.locator("#link");
        assertThat(link).hasAttribute("data-state", "down", within(TestTimes.SHORT));
        assertThat(link).containsText("daemon unreachable");

        daemon.ok("up");
        assertThat(link).hasAttribute("data-state", "live", within(TestTimes.APP));
        assertThat(page.evaluate("() => window.__mark")).isEqualTo("same page");
        assertThat(daemon.pid("demo")).as("adopted, not restarted").isEqualTo(app);
        // pushed state works again over the new stream: a stop shows without a reload
        card("ticker").locator("button.stop").click();
        page.locator("#confirm-ok").click();
        assertThat(card("ticker")).hasAttribute("data-state", "stopped", within(TestTimes.SHORT));
    }

    /** WCAG contrast (4.5:1 for text) of what the page shows, in the OS's dark and light modes. */
    @Test
    void textIsReadableInDarkAndInLightMode() {
        for (ColorScheme scheme : List.of(ColorScheme.DARK, ColorScheme.LIGHT)) {
            try (BrowserContext c = browser.newContext(new Browser.NewContextOptions().setColorScheme(scheme))) {
                Page p = c.newPage();
                p.navigate(tokenUrl);
                p.locator("#service-list article[data-service='demo'] .badge").waitFor();
                p.locator("#doctor-list .badge").first().waitFor();
                @SuppressWarnings("unchecked")
                Map<String, Object> r = (Map<String, Object>) p.evaluate(CONTRAST);
                assertThat(((Number) r.get("luminance")).doubleValue())
                        .as(scheme + " background")
                        .isCloseTo(scheme == ColorScheme.DARK ? 0 : 1, org.assertj.core.data.Offset.offset(0.1));
                @SuppressWarnings("unchecked")
                Map<String, Object> ratios = (Map<String, Object>) r.get("ratios");
                assertThat(ratios).isNotEmpty();
                ratios.forEach((what, ratio) -> assertThat(((Number) ratio).doubleValue())
                        .as(scheme + ": " + what)
                        .isGreaterThanOrEqualTo(4.5));
            }
        }
    }

    /** Contrast of each kind of text against the background it is drawn on. */
    static final String CONTRAST = """
            () => {
              const rgb = (c) => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
              const lum = ([r, g, b]) => {
                const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
                return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
              };
              const bg = (e) => {
                for (; e; e = e.parentElement) {
                  const c = getComputedStyle(e).backgroundColor;
                  if (!/rgba\\(.*, 0\\)$/.test(c) && c !== 'transparent') return rgb(c);
                }
                return [255, 255, 255];
              };
              const ratio = (e) => {
                const a = lum(rgb(getComputedStyle(e).color)), b = lum(bg(e));
                return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
              };
              const ratios = {};
              for (const sel of ['h1', 'h2', '.top nav a', '#link', 'article[data-service] h3', 'article[data-service] .badge',
                  '.facts dt', '.facts dd', 'button.restart', 'button.stop', '.project', '#log-view .line .t', '#log-view .line .lv',
                  '#log-view .line .msg', '#doctor-list .badge', '#doctor-list td', '.controls label']) {
                document.querySelectorAll(sel).forEach((e, i) => { if (i < 5 && e.offsetParent) ratios[sel + ' #' + i] = ratio(e); });
              }
              return { luminance: lum(bg(document.body)), ratios };
            }
            """;

    @Test
    void theGpuMemoryOfAServiceAndTheCardsFreeMemoryShow() throws Exception {
        long pid = daemon.pid("demo");
        // the stand-in nvidia-smi now says the demo app holds 5 GiB of the card's 24
        new NvidiaSmiStandIn()
                .gpu("NVIDIA A10", 24576, 2048 + 5120)
                .process(pid, 5120)
                .writeTo(gpuBin);

        await().atMost(TestTimes.SHORT)
                .pollInSameThread()
                .pollInterval(Duration.ofMillis(500))
                .until(() -> {
                    page.reload();
                    card("demo").waitFor();
                    return card("demo").locator("[data-fact=gpu] dd").count() > 0
                            && card("demo")
                                    .locator("[data-fact=gpu] dd")
                                    .textContent()
                                    .equals("5.0 GiB");
                });
        assertThat(card("demo").locator("[data-fact=gpu-free] dd")).hasText("17.0 GiB");
        assertThat(card("ticker").locator("[data-fact=gpu] dd")).hasText("0 MiB");
    }

    @Test
    void onAPhoneWidthNothingOverflowsSideways() {
        page.setViewportSize(360, 740);
        page.selectOption("#log-service", "ticker");
        page.locator("#log-view .line").first().waitFor();

        Object overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth");
        assertThat(((Number) overflow).intValue()).isLessThanOrEqualTo(0);
        Object wider = page.evaluate("() => [...document.querySelectorAll('main > section:not([hidden])')]"
                + ".filter(s => s.getBoundingClientRect().right > window.innerWidth + 0.5).map(s => s.id)");
        assertThat((List<?>) wider).isEmpty();
    }
}
