package dev.lifeline.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes a stand-in {@code nvidia-smi} into a folder (put the folder first on the PATH you hand to
 * {@code Gpu.fromPath}). It answers the two queries Lifeline makes with the GPUs and processes
 * given here, in nvidia-smi's {@code csv,noheader,nounits} format.
 */
public final class NvidiaSmiStandIn {
    private final List<String> gpus = new ArrayList<>();
    private final List<String> apps = new ArrayList<>();

    /** A GPU: memory in MiB. */
    public NvidiaSmiStandIn gpu(String name, long totalMiB, long usedMiB) {
        gpus.add(gpus.size() + ", " + name + ", " + totalMiB + ", " + usedMiB + ", " + (totalMiB - usedMiB));
        return this;
    }

    /** A compute process holding {@code usedMiB}. */
    public NvidiaSmiStandIn process(long pid, long usedMiB) {
        apps.add(pid + ", " + usedMiB);
        return this;
    }

    /** Writes {@code dir/nvidia-smi} and returns {@code dir}. */
    public Path writeTo(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path smi = dir.resolve("nvidia-smi");
        Files.writeString(
                smi,
                "#!/bin/sh\ncase \"$1\" in\n  --query-gpu=*) cat <<'EOF'\n" + String.join("\n", gpus)
                        + "\nEOF\n  ;;\n  --query-compute-apps=*) cat <<'EOF'\n" + String.join("\n", apps)
                        + "\nEOF\n  ;;\n  *) echo \"stand-in nvidia-smi: unexpected $*\" >&2; exit 9 ;;\nesac\n");
        Files.setPosixFilePermissions(smi, PosixFilePermissions.fromString("rwxr-xr-x"));
        return dir;
    }
}
