package dev.lifeline.dashboard.browser;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static dev.lifeline.testing.Services.sh;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.BrowserType;
import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import com.microsoft.playwright.assertions.LocatorAssertions;
import dev.lifeline.testing.TestTimes;
import dev.lifeline.tunnel.SshTestServer;
import dev.lifeline.tunnel.TestApp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tunnels panel in a real headless Chromium, against a real daemon (started by the CLI) that
 * hosts a tunnel: real {@code ssh} to the in-process SSH server, forwarding to a real app. The
 * panel shows the tunnel's state and its forward, and the remote app going away shows without a
 * reload.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DashboardTunnelsTest {
    @TempDir
    static Path tmp;

    SshTestServer sshd;
    TestApp app;
    LiveDaemon daemon;
    int local;
    Playwright playwright;
    Browser browser;

    @BeforeAll
    void startDaemonWithATunnel() throws Exception {
        sshd = SshTestServer.start(Files.createDirectories(tmp.resolve("sshd")));
        app = new TestApp();
        daemon = new LiveDaemon(
                tmp,
                "services:\n  idle:\n    command: " + sh("echo started; exec sleep 1000")
                        + "\n    ready: { log: started }\n    restart: { policy: never }\n"
                        + "dashboard: { listen: 127.0.0.1:0 }\n");
        daemon.ok("up");
        local = TestApp.freePort();
        List<String> args = new ArrayList<>(List.of("tunnel", "--name", "gpu-box", "--", "ssh"));
        args.addAll(sshd.sshArgs(sshd.port(), sshd.knownHosts("known_hosts", sshd.port())));
        args.add("-L");
        args.add(local + ":127.0.0.1:" + app.port());
        daemon.ok(args.toArray(String[]::new));
        playwright = Playwright.create(
                new Playwright.CreateOptions().setEnv(Map.of("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")));
        browser = playwright
                .chromium()
                .launch(new BrowserType.LaunchOptions()
                        .setExecutablePath(Paths.get("/usr/bin/chromium"))
                        .setHeadless(true)
                        .setArgs(List.of("--no-sandbox", "--disable-gpu", "--no-first-run")));
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
            daemon.run("tunnel", "down", "gpu-box"); // the ssh is the daemon's child: ended before the daemon goes
            daemon.close();
        }
        if (app != null) {
            app.close();
        }
        if (sshd != null) {
            sshd.close();
        }
    }

    @Test
    void theTunnelsPanelShowsTheTunnelItsForwardAndTheRemoteAppGoingAway() throws Exception {
        try (BrowserContext context = browser.newContext()) {
            context.setDefaultTimeout(TestTimes.SHORT.toMillis());
            Page page = context.newPage();
            page.navigate(daemon.dashboardUrl());
            assertThat(page.locator("#link")).hasAttribute("data-state", "live");

            assertThat(page.locator("#tunnels")).isVisible();
            assertThat(page.locator("#nav-tunnels")).isVisible();
            Locator card = page.locator("#tunnel-list article[data-tunnel='gpu-box']");
            assertThat(card).hasAttribute("data-state", "up");
            assertThat(card.locator("header .badge")).hasText("up");
            Locator forward = card.locator("ul.forwards li");
            assertThat(forward).hasCount(1);
            assertThat(forward.locator("code")).hasText("127.0.0.1:" + local + " → 127.0.0.1:" + app.port());
            // the probe through the forward: the app on the far side answers
            LocatorAssertions.HasTextOptions probed =
                    new LocatorAssertions.HasTextOptions().setTimeout(TestTimes.APP.toMillis());
            assertThat(forward.locator(".badge")).hasText("answers", probed);
            assertThat(card.locator("[data-fact=reconnects] dd")).hasText("0");
            assertThat(card.locator("[data-fact='ssh pid'] dd")).hasText(java.util.regex.Pattern.compile("^\\d+$"));
            page.evaluate("() => { window.__mark = 'same page'; }");

            app.close(); // the app on the server stops: the link still works, its forward does not

            assertThat(forward.locator(".badge")).hasText("does not answer", probed);
            assertThat(card)
                    .hasAttribute(
                            "data-state",
                            "degraded",
                            new LocatorAssertions.HasAttributeOptions().setTimeout(TestTimes.APP.toMillis()));
            assertThat(forward).hasAttribute("data-answers", "false");
            org.assertj.core.api.Assertions.assertThat(page.evaluate("() => window.__mark"))
                    .isEqualTo("same page");
        }
    }
}
