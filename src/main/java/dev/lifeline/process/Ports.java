package dev.lifeline.process;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/** Which TCP ports are listening, and which process holds one. Linux {@code /proc/net/tcp*}. */
public final class Ports {
    private Ports() {}

    /** True when something accepts TCP connections on 127.0.0.1:{@code port} within {@code timeoutMillis}. */
    public static boolean answers(String host, int port, int timeoutMillis) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), timeoutMillis);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** True when a socket is listening on {@code port} on any local address. */
    public static boolean isListening(int port) {
        if (Procfs.available()) {
            return !listeningInodes(port).isEmpty();
        }
        return answers("127.0.0.1", port, 200);
    }

    /** The process listening on {@code port}, where the OS tells (it may not, for another user's process). */
    public static Optional<ProcessInfo> owner(int port) {
        Set<String> inodes = listeningInodes(port);
        if (inodes.isEmpty()) {
            return Optional.empty();
        }
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"))) {
            for (Path p : procs) {
                String name = p.getFileName().toString();
                if (name.isEmpty() || !Character.isDigit(name.charAt(0))) {
                    continue;
                }
                try (DirectoryStream<Path> fds = Files.newDirectoryStream(p.resolve("fd"))) {
                    for (Path fd : fds) {
                        String target;
                        try {
                            target = Files.readSymbolicLink(fd).toString();
                        } catch (IOException e) {
                            continue;
                        }
                        if (target.startsWith("socket:[")
                                && inodes.contains(target.substring(8, target.length() - 1))) {
                            return Procfs.read(Long.parseLong(name));
                        }
                    }
                } catch (IOException | SecurityException e) {
                    // not ours to look into
                }
            }
        } catch (IOException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    private static Set<String> listeningInodes(int port) {
        Set<String> out = new HashSet<>();
        String hexPort = String.format(Locale.ROOT, "%04X", port);
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            try {
                for (String line : Files.readAllLines(Path.of(table))) {
                    String[] f = line.trim().split("\\s+");
                    if (f.length < 10 || !f[3].equals("0A")) {
                        continue; // 0A = LISTEN
                    }
                    String local = f[1];
                    if (local.substring(local.indexOf(':') + 1).equalsIgnoreCase(hexPort)) {
                        out.add(f[9]);
                    }
                }
            } catch (IOException e) {
                // no IPv6 table on this machine
            }
        }
        return out;
    }
}
