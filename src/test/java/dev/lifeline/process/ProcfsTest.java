package dev.lifeline.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProcfsTest {
    @TempDir
    Path tmp;

    private Path auxv(long... pairs) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(pairs.length * 8).order(ByteOrder.nativeOrder());
        for (long v : pairs) {
            b.putLong(v);
        }
        Path p = tmp.resolve("auxv");
        Files.write(p, b.array());
        return p;
    }

    @Test
    void thePageSizeComesFromTheKernelsAuxiliaryVectorNot4096() throws Exception {
        // An arm64 kernel with 64 KiB pages: AT_HWCAP (16), then AT_PAGESZ (6), then AT_NULL.
        assertThat(Procfs.pageSize(auxv(16, 0xff, 6, 65536, 0, 0))).isEqualTo(65536);
        assertThat(Procfs.pageSize(tmp.resolve("missing")))
                .as("unreadable: the common size")
                .isEqualTo(4096);
        assertThat(Procfs.pageSize(auxv(0, 0, 6, 65536)))
                .as("nothing after AT_NULL")
                .isEqualTo(4096);
    }

    @Test
    void rssIsCountedInThisMachinesPages() throws Exception {
        long pages =
                Long.parseLong(Files.readString(Path.of("/proc/self/statm")).split(" ")[1]);
        long rss = Procfs.read(ProcessHandle.current().pid()).orElseThrow().rssBytes();
        assertThat(Procfs.pageSize()).isEqualTo(Procfs.pageSize(Path.of("/proc/self/auxv")));
        // RSS moves while the JVM runs: within a few MiB of statm's page count times the page size.
        assertThat(rss).isCloseTo(pages * Procfs.pageSize(), org.assertj.core.data.Offset.offset(64L << 20));
    }

    @Test
    void theMarkerIsFoundOnlyAsAWholeEnvironmentEntry() throws Exception {
        Process p = new ProcessBuilder("sleep", "30")
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        try {
            ProcessBuilder pb = new ProcessBuilder("sleep", "30");
            pb.environment().putAll(Map.of("LIFELINE_SERVICE", "abc:web", "OTHER", "LIFELINE_SERVICE=abc:webui"));
            Process marked = pb.start();
            try {
                assertThat(Procfs.environHas(marked.pid(), "LIFELINE_SERVICE=abc:web"))
                        .isTrue();
                assertThat(Procfs.environHas(marked.pid(), "LIFELINE_SERVICE=abc:we"))
                        .isFalse();
                assertThat(Procfs.environHas(marked.pid(), "LIFELINE_SERVICE=abc:webui"))
                        .as("inside another variable's value")
                        .isFalse();
                assertThat(Procfs.environHas(p.pid(), "LIFELINE_SERVICE=abc:web"))
                        .isFalse();
                assertThat(Procfs.environHas(999_999_999L, "LIFELINE_SERVICE=abc:web"))
                        .isFalse();
            } finally {
                marked.destroyForcibly();
            }
        } finally {
            p.destroyForcibly();
        }
    }
}
