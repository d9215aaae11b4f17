package dev.lifeline.supervisor;

import dev.lifeline.config.ServiceSpec;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** What people are told about readiness: what was waited for, where the app really listens, its progress. */
final class Readiness {
    /** A URL an app announces it serves on, as uvicorn, Gradio, Flask and Streamlit print it. */
    private static final Pattern URL = Pattern.compile("https?://[\\w.\\[\\]:-]*?:(\\d{2,5})\\b");

    private Readiness() {}

    static String describe(ServiceSpec s) {
        ServiceSpec.Ready r = s.ready();
        return switch (r.kind()) {
            case HTTP -> "GET " + r.httpPath() + " on :" + s.port().orElseThrow() + " never answered";
            case TCP -> "port " + s.port().orElseThrow() + " never accepted a connection";
            case LOG -> "no log line matched '" + r.logPattern() + "'";
            case NONE -> "it did not stay up for " + Wording.human(r.after());
        };
    }

    /**
     * When the run's log announces a port other than {@code expected} (the app listens elsewhere),
     * a sentence saying so; "" otherwise.
     */
    static String otherPort(List<String> runLines, int expected) {
        for (int i = runLines.size() - 1; i >= 0; i--) {
            String line = runLines.get(i);
            Matcher m = URL.matcher(line);
            while (m.find()) {
                int port = Integer.parseInt(m.group(1));
                if (port != expected && port > 0 && port < 65536) {
                    return "; but its log says it listens on port " + port + " (\""
                            + Wording.abbreviate(line.strip()) + "\"): set 'port: " + port
                            + "' or make the app use " + expected;
                }
            }
        }
        return "";
    }

    /** The run's latest progress line, shortened for one status line. */
    static String progress(List<String> runLines) {
        for (int i = runLines.size() - 1; i >= 0; i--) {
            String s = runLines.get(i).strip();
            if (!s.isEmpty()) {
                return s.length() > 120 ? s.substring(0, 117) + "…" : s;
            }
        }
        return "";
    }
}
