package dev.lifeline.cli;

import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code lifeline completion bash|zsh}: the shell completion script, generated from the commands themselves. */
@Command(
        name = "completion",
        description = "Print a shell completion script for bash or zsh.",
        footer = {
            "Load it in the current shell:  source <(lifeline completion bash)",
            "or for every new one:  lifeline completion bash > ~/.local/share/bash-completion/completions/lifeline",
            "zsh:  source <(lifeline completion zsh)  (in ~/.zshrc, after compinit)"
        })
final class CompletionCommand implements Callable<Integer> {
    enum Shell {
        bash,
        zsh
    }

    @Spec
    CommandSpec spec;

    @Parameters(
            paramLabel = "SHELL",
            description = "bash or zsh (the script works in both: under zsh it loads bashcompinit).")
    Shell shell;

    @Override
    public Integer call() {
        // every command, whichever one this run built (Main builds only the one named)
        String script = AutoComplete.bash("lifeline", Main.commandLine());
        spec.commandLine().getOut().print(script);
        spec.commandLine().getOut().flush();
        return 0;
    }
}
