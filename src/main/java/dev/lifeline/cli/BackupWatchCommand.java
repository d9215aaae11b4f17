package dev.lifeline.cli;

import dev.lifeline.backup.Vault;
import dev.lifeline.backup.VaultWatcher;
import dev.lifeline.core.EventListener;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(
        name = "watch",
        description =
                "Watch the sources in the foreground (what the daemon does): one line per stored file, until Ctrl-C.")
final class BackupWatchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        EventListener progress = BackupCommand.progress(spec.commandLine().getErr());
        EventListener lines = e -> {
            if (e.type().equals("stored")) {
                synchronized (out) {
                    out.println("stored " + e.fields().get("durableAtMillis") + " "
                            + e.fields().get("path"));
                    out.flush();
                }
            } else {
                progress.onEvent(e);
            }
        };
        Vault v = Vault.open(BackupCommand.spec(spec), lines);
        CountDownLatch stop = new CountDownLatch(1);
        VaultWatcher w = VaultWatcher.start(v, lines);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            w.close();
                            stop.countDown();
                        },
                        "lifeline-vault-watch-stop"));
        stop.await();
        return 0;
    }
}
