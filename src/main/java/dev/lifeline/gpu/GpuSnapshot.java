package dev.lifeline.gpu;

import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * GPU memory at one moment, as {@code nvidia-smi} reported it. Memory is in MiB, as nvidia-smi
 * counts it.
 *
 * @param present false when the machine has no {@code nvidia-smi} (not an error: no NVIDIA GPU)
 * @param error why nvidia-smi gave no usable answer (driver not loaded, timed out…), if it did not
 */
public record GpuSnapshot(boolean present, List<Device> devices, List<ProcessUsage> processes, Optional<String> error) {
    public GpuSnapshot {
        devices = List.copyOf(devices);
        processes = List.copyOf(processes);
    }

    public record Device(int index, String name, long totalMiB, long usedMiB, long freeMiB) {}

    /** GPU memory one process holds, summed over the GPUs it uses. */
    public record ProcessUsage(long pid, long usedMiB) {}

    static GpuSnapshot absent() {
        return new GpuSnapshot(false, List.of(), List.of(), Optional.empty());
    }

    static GpuSnapshot failed(String why) {
        return new GpuSnapshot(true, List.of(), List.of(), Optional.of(why));
    }

    /** True when there are GPUs and nvidia-smi answered. */
    public boolean usable() {
        return present && error.isEmpty() && !devices.isEmpty();
    }

    /** GPU memory held by any of {@code pids} (a service's whole process tree). */
    public long usedMiBBy(Collection<Long> pids) {
        return processes.stream()
                .filter(p -> pids.contains(p.pid()))
                .mapToLong(ProcessUsage::usedMiB)
                .sum();
    }

    public long totalMiB() {
        return devices.stream().mapToLong(Device::totalMiB).sum();
    }

    public long freeMiB() {
        return devices.stream().mapToLong(Device::freeMiB).sum();
    }
}
