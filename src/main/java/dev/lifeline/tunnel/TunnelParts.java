package dev.lifeline.tunnel;

import dev.lifeline.config.TunnelSpec;
import java.time.Clock;
import java.util.function.LongSupplier;

/**
 * What one tunnel's thread works with, made once by {@link Tunnel} and shared by {@link Keeper}
 * and {@link Attempt}: the spec and settings, the injected clocks, and the status, events and stop
 * signal that connect the thread to the rest of the process.
 *
 * @param nanos the monotonic clock ({@code System::nanoTime} outside tests)
 */
record TunnelParts(
        TunnelSpec spec,
        TunnelManager.Options options,
        Clock clock,
        LongSupplier nanos,
        StatusBoard board,
        TunnelEvents events,
        StopSignal signal,
        ClockWatch clockWatch) {}
