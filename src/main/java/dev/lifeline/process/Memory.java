package dev.lifeline.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** The machine's memory from {@code /proc/meminfo}: total and available (what can be used without swapping). */
public record Memory(long totalBytes, long availableBytes) {

    /** Reads {@code /proc/meminfo}; empty where there is none (not Linux). */
    public static Optional<Memory> read() {
        return read(Path.of("/proc/meminfo"));
    }

    static Optional<Memory> read(Path meminfo) {
        long total = -1;
        long available = -1;
        try {
            for (String line : Files.readAllLines(meminfo)) {
                String[] f = line.split("\\s+");
                if (f.length < 2) {
                    continue;
                }
                if (f[0].equals("MemTotal:")) {
                    total = Long.parseLong(f[1]) * 1024;
                } else if (f[0].equals("MemAvailable:")) {
                    available = Long.parseLong(f[1]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
        return total > 0 && available >= 0 ? Optional.of(new Memory(total, available)) : Optional.empty();
    }
}
