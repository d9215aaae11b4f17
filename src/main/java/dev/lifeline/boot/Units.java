package dev.lifeline.boot;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/** Renders the systemd unit, the launchd plist and the cron line for the daemon. */
final class Units {
    static final String SYSTEMD_UNIT = "lifeline.service";
    static final String LAUNCHD_LABEL = "dev.lifeline.daemon";

    private Units() {}

    static String systemd(List<String> execStart, Path home, boolean user) {
        return """
                # Written by `lifeline service install`; remove with `lifeline service uninstall`.
                [Unit]
                Description=Lifeline daemon: keeps model web apps running, reachable and backed up
                After=network-online.target
                Wants=network-online.target

                [Service]
                Type=simple
                ExecStart=%s
                Environment=%s
                # Stopping or upgrading the daemon must never stop the apps it supervises: they run in
                # their own sessions, and the next daemon adopts them.
                KillMode=process
                Restart=on-failure
                RestartSec=5s

                [Install]
                WantedBy=%s
                """.formatted(
                        execStart.stream().map(Units::systemdWord).collect(Collectors.joining(" ")),
                        systemdWord("LIFELINE_HOME=" + home),
                        user ? "default.target" : "multi-user.target");
    }

    /** One ExecStart word: quoted when needed; % and $ doubled so systemd takes them literally. */
    static String systemdWord(String s) {
        String t = s.replace("%", "%%").replace("$", "$$");
        if (t.isEmpty()
                || t.chars()
                        .anyMatch(c -> Character.isWhitespace(c) || c == '"' || c == '\\' || c == '\'' || c == ';')) {
            return '"' + t.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
        }
        return t;
    }

    static String launchd(List<String> execStart, Path home) {
        StringBuilder args = new StringBuilder();
        for (String a : execStart) {
            args.append("    <string>").append(xml(a)).append("</string>\n");
        }
        return """
                <?xml version="1.0" encoding="UTF-8"?>
                <!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
                <!-- Written by `lifeline service install`; remove with `lifeline service uninstall`. -->
                <plist version="1.0">
                <dict>
                  <key>Label</key>
                  <string>%s</string>
                  <key>ProgramArguments</key>
                  <array>
                %s  </array>
                  <key>EnvironmentVariables</key>
                  <dict>
                    <key>LIFELINE_HOME</key>
                    <string>%s</string>
                  </dict>
                  <key>RunAtLoad</key>
                  <true/>
                  <key>KeepAlive</key>
                  <dict>
                    <key>SuccessfulExit</key>
                    <false/>
                  </dict>
                  <!-- like systemd's KillMode=process: stopping the daemon leaves the apps running -->
                  <key>AbandonProcessGroup</key>
                  <true/>
                  <key>StandardOutPath</key>
                  <string>%s</string>
                  <key>StandardErrorPath</key>
                  <string>%s</string>
                </dict>
                </plist>
                """.formatted(
                        LAUNCHD_LABEL,
                        args,
                        xml(home.toString()),
                        xml(home.resolve("logs/daemon.out").toString()),
                        xml(home.resolve("logs/daemon.out").toString()));
    }

    /** The crontab line that does the job where there is no systemd. */
    static String cron(List<String> execStart, Path home) {
        return "@reboot LIFELINE_HOME=" + shell(home.toString()) + " "
                + execStart.stream().map(Units::shell).collect(Collectors.joining(" "))
                + " >> " + shell(home.resolve("logs/daemon.out").toString()) + " 2>&1";
    }

    static String shell(String s) {
        return s.matches("[A-Za-z0-9_@%+=:,./-]+") ? s : "'" + s.replace("'", "'\\''") + "'";
    }

    private static String xml(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
