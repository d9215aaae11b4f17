package dev.lifeline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lifeline.testing.TestTimes;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;

/** What a person reads from the command line itself: help on every command, completion, summaries. */
class CliHelpTest {
    @TempDir
    Path tmp;

    record Run(int status, String out, String err) {}

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine(args);
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int status = cl.execute(args);
        return new Run(status, out.toString(), err.toString());
    }

    /** Every command and subcommand, by the words that name it ("backup now"), with its spec. */
    static Map<String, CommandSpec> allCommands() {
        Map<String, CommandSpec> all = new LinkedHashMap<>();
        collect(Main.commandLine(), "", all);
        return all;
    }

    private static void collect(CommandLine cl, String path, Map<String, CommandSpec> into) {
        for (Map.Entry<String, CommandLine> e : cl.getSubcommands().entrySet()) {
            if (!e.getKey().equals(e.getValue().getCommandName())) {
                continue; // an alias
            }
            String p = (path + " " + e.getKey()).trim();
            into.put(p, e.getValue().getCommandSpec());
            collect(e.getValue(), p, into);
        }
    }

    @Test
    void everyCommandAndSubcommandAnswersDashDashHelpAndDashH() {
        Map<String, CommandSpec> all = allCommands();
        assertThat(all).containsKeys("up", "status", "backup now", "tunnel trust", "service install", "completion");
        List<String> broken = new ArrayList<>();
        for (String path : all.keySet()) {
            for (String flag : List.of("--help", "-h")) {
                List<String> args = new ArrayList<>(List.of(path.split(" ")));
                args.add(flag);
                Run r = run(args.toArray(String[]::new));
                boolean usage = path.equals("help") // picocli's own: its description comes first
                        ? r.out().contains("Usage: lifeline help")
                        : r.out().startsWith("Usage: lifeline " + path);
                if (r.status() != 0 || !usage) {
                    broken.add("lifeline " + path + " " + flag + " -> exit " + r.status() + ": "
                            + (r.out() + r.err()).lines().findFirst().orElse(""));
                }
            }
        }
        assertThat(broken).isEmpty();
    }

    @Test
    void everySummaryIsAWholeSentenceAndEveryArgumentIsDescribed() {
        List<String> broken = new ArrayList<>();
        allCommands().forEach((path, spec) -> {
            String[] d = spec.usageMessage().description();
            // the parent's list of commands shows only this first line
            if (d.length == 0 || !d[0].strip().matches("(?s).*[.?!]")) {
                broken.add(path + ": summary '" + (d.length == 0 ? "" : d[0]) + "'");
            }
            List<ArgSpec> args = new ArrayList<>(spec.options());
            args.addAll(spec.positionalParameters());
            for (ArgSpec a : args) {
                if (a.hidden()) {
                    continue;
                }
                if (a.description().length == 0 || a.description()[0].isBlank()) {
                    broken.add(path + ": " + a.paramLabel() + " has no description");
                } else if (a.paramLabel().startsWith("<") && a.arity().max() > 0 && !a.isPositional()) {
                    broken.add(path + ": " + a.paramLabel() + " is a field name, not a label a person reads");
                }
            }
        });
        assertThat(broken).isEmpty();
    }

    @Test
    void bashCompletionCompletesCommandsSubcommandsAndOptions() throws Exception {
        Run r = run("completion", "bash");
        assertThat(r.status()).as(r.err()).isZero();
        Path script = Files.writeString(tmp.resolve("lifeline.bash"), r.out());

        assertThat(complete(script, "lifeline", "ba")).contains("backup");
        assertThat(complete(script, "lifeline", "backup", "")).contains("now", "restore", "verify", "snapshots");
        assertThat(complete(script, "lifeline", "up", "--")).contains("--help", "--no-wait", "--config");
        assertThat(complete(script, "lifeline", "comp")).containsExactly("completion");

        Run zsh = run("completion", "zsh");
        assertThat(zsh.status()).isZero();
        assertThat(zsh.out()).contains("bashcompinit").contains("complete -F _complete_lifeline");

        Run fish = run("completion", "fish");
        assertThat(fish.status()).isEqualTo(2);
        assertThat(fish.err()).contains("bash, zsh");
    }

    /** The words bash's completion offers for the last of {@code words}, from the real script. */
    private List<String> complete(Path script, String... words) throws Exception {
        StringBuilder arr = new StringBuilder();
        for (String w : words) {
            arr.append(" '").append(w).append("'");
        }
        String line = String.join(" ", words);
        String sh = "source '" + script + "' 2>/dev/null\n"
                + "COMP_WORDS=(" + arr + ")\n"
                + "COMP_CWORD=" + (words.length - 1) + "\n"
                + "COMP_LINE='" + line + "'\nCOMP_POINT=${#COMP_LINE}\n"
                + "_complete_lifeline lifeline '" + words[words.length - 1] + "' '" + words[words.length - 2] + "'"
                + " 2>/dev/null\n"
                + "printf '%s\\n' \"${COMPREPLY[@]}\"\n";
        Path out = tmp.resolve("reply.txt");
        Process p = new ProcessBuilder("bash", "-c", sh)
                .redirectOutput(out.toFile())
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        assertThat(p.waitFor(TestTimes.APP.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
        return Files.readAllLines(out, StandardCharsets.UTF_8).stream()
                .map(String::strip)
                .filter(s -> !s.isEmpty())
                .toList();
    }
}
