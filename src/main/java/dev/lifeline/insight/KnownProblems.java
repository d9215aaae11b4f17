package dev.lifeline.insight;

import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The catalog of recognised problems: patterns over log text, first match wins. */
final class KnownProblems {
    private KnownProblems() {}

    private record Entry(String id, String title, Pattern pattern, Pattern alsoNeeds, String explanation, String fix) {
        Optional<KnownProblem> match(String text) {
            Matcher m = pattern.matcher(text);
            if (!m.find() || (alsoNeeds != null && !alsoNeeds.matcher(text).find())) {
                return Optional.empty();
            }
            String arg = "";
            for (int g = 1; g <= m.groupCount() && arg.isEmpty(); g++) {
                arg = m.group(g) == null ? "" : m.group(g);
            }
            arg = arg.isEmpty() ? "resource" : arg;
            return Optional.of(new KnownProblem(
                    id, title.replace("{1}", arg), explanation.replace("{1}", arg), fix.replace("{1}", arg)));
        }
    }

    static final KnownProblem OOM_KILLED = new KnownProblem(
            "oom-killed",
            "killed by the OOM killer (exit 137)",
            "The kernel ended the app with signal 9 (exit status 137), almost always because the machine ran"
                    + " out of memory and the OOM killer picked the biggest process: the model app.",
            "Confirm with `dmesg -T | grep -i -E 'killed process|out of memory'`. Then reduce the app's"
                    + " memory (smaller model or precision, fewer workers), add RAM or swap, and set"
                    + " `limits.restart-above-memory` so Lifeline restarts it cleanly before the kernel kills it.");

    private static final List<Entry> ENTRIES = List.of(
            new Entry(
                    "cuda-oom",
                    "CUDA out of memory",
                    Pattern.compile(
                            "CUDA out of memory|OutOfMemoryError|CUDA error: out of memory|CUBLAS_STATUS_ALLOC_FAILED"),
                    null,
                    "The model asked for more GPU memory than was free on the card; other processes on the same"
                            + " GPU count against it too.",
                    "See who holds GPU memory with `nvidia-smi` (or `lifeline status`), stop what should not be"
                            + " there, lower the batch size or image resolution, use the app's low-VRAM option (e.g."
                            + " --medvram / --lowvram), or add PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True to the"
                            + " service's env."),
            new Entry(
                    "rlimit",
                    "cannot set the {1} limit",
                    Pattern.compile("prlimit: failed to set the (\\w+) resource"
                            + "|ulimit: ([\\w ()-]+): cannot modify limit"
                            + "|setrlimit\\(?(\\w*)\\)?.{0,40}(?:Operation not permitted|Invalid argument)"
                            + "|not allowed to raise maximum limit"),
                    null,
                    "The service asks for a {1} limit above the hard limit this account may set: an"
                            + " unprivileged user can lower its limits but not raise the hard one, so the app"
                            + " did not start.",
                    "Lower the matching `limits:` entry of the service (NOFILE: open-files, NPROC: processes,"
                            + " CORE: core) to at most the hard limit (`ulimit -Hn` for open files, `prlimit --pid $$`"
                            + " for all), or raise the hard limit: a line such as `youruser hard nofile 65536` in"
                            + " /etc/security/limits.conf (then log in again), or LimitNOFILE=65536 in the daemon's"
                            + " systemd unit (`lifeline service install` writes it); then `lifeline up` again."),
            new Entry(
                    "port-in-use",
                    "port already in use",
                    Pattern.compile("Address already in use|\\[Errno 98\\]|Cannot find empty port|EADDRINUSE"
                            + "|error while attempting to bind on address"),
                    null,
                    "The app could not listen on its port because another program already holds it (often an"
                            + " older copy of the same app started by hand with nohup).",
                    "Find the holder with `lifeline doctor SERVICE` or `ss -ltnp 'sport = :PORT'`; stop it (or"
                            + " let Lifeline own it), or change the service's `port:` and the app's --server-port"
                            + " together."),
            new Entry(
                    "too-many-open-files",
                    "too many open files",
                    Pattern.compile("Too many open files|\\[Errno 24\\]|EMFILE"),
                    null,
                    "The app reached its limit of open file descriptors (`ulimit -n`, often 1024), which model"
                            + " apps with many files, sockets and threads exceed.",
                    "Set `limits.open-files: 65536` under the service and restart it: Lifeline applies the"
                            + " limit to the app itself (a `ulimit -n` in your shell does not reach it)."),
            new Entry(
                    "hub-connection",
                    "model download / hub connection failed",
                    Pattern.compile(
                            "(?i)huggingface\\.co|hf-mirror|huggingface_hub|HF_HUB|modelscope|LocalEntryNotFoundError"),
                    Pattern.compile("(?i)connect|timed? ?out|Max retries exceeded|Name or service not known"
                            + "|Temporary failure in name resolution|LocalEntryNotFoundError|offline mode"
                            + "|Network is unreachable|SSLError|ProxyError"),
                    "The app could not reach the model hub to download or check its model files.",
                    "Check the network from the server (`curl -I https://huggingface.co`, or the proxy"
                            + " settings); where huggingface.co is blocked set HF_ENDPOINT=https://hf-mirror.com in"
                            + " the service's env; once the model is downloaded, set HF_HUB_OFFLINE=1 so startup no"
                            + " longer needs the network."),
            new Entry(
                    "missing-module",
                    "missing Python module '{1}'",
                    Pattern.compile(
                            "ModuleNotFoundError: No module named '([^']+)'|ImportError: No module named ([\\w.]+)"),
                    null,
                    "Python could not import '{1}': it is not installed in the Python that runs the service.",
                    "Install it into that Python: `<the service's python> -m pip install {1}` (the package"
                            + " name can differ from the module name); check that `command:` uses the virtualenv's"
                            + " python, e.g. /path/venv/bin/python app.py."),
            new Entry(
                    "oom-killed",
                    OOM_KILLED.title(),
                    Pattern.compile(
                            "(?m)^\\s*Killed\\s*$|exit(?:ed)?\\b.{0,20}\\b137\\b|Out of memory: Killed process|oom-kill|OOM killer"),
                    null,
                    OOM_KILLED.explanation(),
                    OOM_KILLED.fix()));

    /** The first known problem {@code text} (a line or a whole traceback) shows. */
    static Optional<KnownProblem> recognise(String text) {
        for (Entry e : ENTRIES) {
            Optional<KnownProblem> p = e.match(text);
            if (p.isPresent()) {
                return p;
            }
        }
        return Optional.empty();
    }
}
