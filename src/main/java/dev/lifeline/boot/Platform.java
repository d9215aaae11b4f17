package dev.lifeline.boot;

/** How this machine starts services at boot. */
public enum Platform {
    /** Linux booted with systemd ({@code /run/systemd/system} exists). */
    SYSTEMD,
    /** macOS. */
    LAUNCHD,
    /** Linux without a running systemd (a container, WSL1, an old init): cron's @reboot instead. */
    NONE
}
