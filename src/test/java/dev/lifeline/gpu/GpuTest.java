package dev.lifeline.gpu;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GpuTest {
    @TempDir
    Path bin;

    /** A stand-in nvidia-smi: answers the two queries Lifeline makes like a two-GPU box. */
    private void standIn(String body) throws IOException {
        Path p = bin.resolve("nvidia-smi");
        Files.writeString(p, "#!/bin/sh\n" + body);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private static final String TWO_GPUS = """
            case "$1" in
              --query-gpu=*) printf '0, NVIDIA GeForce RTX 4090, 24564, 20480, 4084\\n1, NVIDIA GeForce RTX 4090, 24564, 0, 24564\\n' ;;
              --query-compute-apps=*) printf '12487, 18000\\n12490, 2480\\n12487, 100\\n' ;;
              *) echo "unexpected $*" >&2; exit 9 ;;
            esac
            """;

    @Test
    void readsPerProcessAndFreeMemoryFromNvidiaSmi() throws IOException {
        standIn(TWO_GPUS);
        GpuSnapshot s = Gpu.fromPath("/nonexistent:" + bin).read();
        assertThat(s.usable()).isTrue();
        assertThat(s.devices()).hasSize(2);
        assertThat(s.devices().get(0).name()).isEqualTo("NVIDIA GeForce RTX 4090");
        assertThat(s.totalMiB()).isEqualTo(49128);
        assertThat(s.freeMiB()).isEqualTo(28648);
        assertThat(s.usedMiBBy(List.of(12487L))).isEqualTo(18100);
        assertThat(s.usedMiBBy(List.of(12487L, 12490L))).isEqualTo(20580);
        assertThat(s.usedMiBBy(List.of(1L))).isZero();
    }

    @Test
    void noNvidiaSmiMeansNoGpuAndNoError() {
        GpuSnapshot s = Gpu.fromPath(bin.toString()).read();
        assertThat(s.present()).isFalse();
        assertThat(s.error()).isEmpty();
        assertThat(s.usable()).isFalse();
        assertThat(Gpu.fromPath(null).executable()).isEmpty();
    }

    @Test
    void reportsADriverThatFailsWithItsMessage() throws IOException {
        standIn("echo 'NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver.'\nexit 9\n");
        GpuSnapshot s = Gpu.fromPath(bin.toString()).read();
        assertThat(s.present()).isTrue();
        assertThat(s.usable()).isFalse();
        assertThat(s.error())
                .hasValueSatisfying(e -> assertThat(e).contains("exited with 9").contains("could not communicate"));
    }

    @Test
    void givesUpOnAHungNvidiaSmi() throws IOException {
        standIn("exec sleep 30\n");
        long t0 = System.nanoTime();
        GpuSnapshot s =
                Gpu.fromPath(bin.toString()).withTimeout(Duration.ofMillis(300)).read();
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
        assertThat(s.error()).hasValueSatisfying(e -> assertThat(e).contains("did not answer"));
    }

    @Test
    void aMachineWithoutComputeAppsHasNoProcesses() throws IOException {
        standIn(
                "case \"$1\" in --query-gpu=*) echo '0, Tesla T4, 15360, 0, 15360' ;; *) echo 'No running processes found' ;; esac\n");
        GpuSnapshot s = Gpu.fromPath(bin.toString()).read();
        assertThat(s.usable()).isTrue();
        assertThat(s.processes()).isEmpty();
        assertThat(s.freeMiB()).isEqualTo(15360);
    }
}
