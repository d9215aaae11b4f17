package dev.lifeline.cli;

import dev.lifeline.config.LifelineConfig;
import dev.lifeline.core.Event;
import dev.lifeline.core.LifelineException;
import dev.lifeline.notify.DeliveryResult;
import dev.lifeline.notify.Notifier;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code lifeline notify test}: one event to every configured webhook, each result reported. */
@Command(
        name = "notify",
        description = "Alerts to webhooks (notify: in lifeline.yaml).",
        subcommands = {NotifyCommand.Test.class})
final class NotifyCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "test", description = "Send one test event to every configured webhook and report each result.")
    static final class Test implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            LifelineConfig config = Context.loadConfig(spec);
            if (config.notifications().isEmpty()) {
                throw new LifelineException(
                        "no webhooks configured in " + config.file(),
                        "add one, e.g.  notify: [ { webhook: https://…, format: wecom } ]");
            }
            PrintWriter out = spec.commandLine().getOut();
            List<DeliveryResult> results;
            try (Notifier n = Notifier.builder(config.notifications()).build()) {
                Event e = Event.of(
                        "lifeline",
                        "test",
                        Event.Level.INFO,
                        "Test notification from Lifeline: if you can read this, alerts reach you.",
                        Map.of("config", config.file().toString()));
                results = n.sendNow(e);
            }
            int failed = 0;
            for (DeliveryResult r : results) {
                out.printf(
                        "%s  %s  %s (%d ms)%n",
                        r.delivered() ? "sent  " : "FAILED",
                        r.target(),
                        r.detail(),
                        r.took().toMillis());
                if (!r.delivered()) {
                    failed++;
                }
            }
            out.printf(
                    "%d of %s accepted the test event%n",
                    results.size() - failed, Plural.of(results.size(), "webhook"));
            out.flush();
            if (failed > 0) {
                spec.commandLine()
                        .getErr()
                        .println("  → check the URL (and its token), the bot's security settings (a DingTalk keyword"
                                + " must appear in the text: messages start with \"[Lifeline]\"), and the network");
                spec.commandLine().getErr().flush();
            }
            return failed == 0 ? 0 : 1;
        }
    }
}
