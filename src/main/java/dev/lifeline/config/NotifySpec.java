package dev.lifeline.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One {@code notify:} entry: a webhook that receives events.
 *
 * <pre>
 * notify:
 *   - webhook: https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=${WECOM_KEY}
 *     format: wecom            # json (default) | wecom | dingtalk | feishu | slack
 *     events: [crashed, failed, unhealthy, recovered]   # default: every WARN/ERROR event, plus recovered
 *     level: warn              # used when events is not given; default warn
 *     min-interval: 30s        # default 10s; events in between are coalesced into one message
 *     secret: ${DING_SECRET}   # DingTalk / Feishu "sign" security: messages are signed with it
 * </pre>
 *
 * <p>{@code ${VAR}} in the webhook and the secret is read from the environment, so a bot's token
 * need not sit in the file.
 *
 * @param events event types to send; empty means "every event at {@code minLevel} or above, and
 *     {@code recovered}"
 * @param minLevel lowest event level sent when {@code events} is empty: info, warn or error
 */
public record NotifySpec(
        URI webhook,
        Format format,
        Set<String> events,
        String minLevel,
        Duration minInterval,
        Optional<String> secret) {

    /** The body shapes Lifeline can post. */
    public enum Format {
        JSON,
        WECOM,
        DINGTALK,
        FEISHU,
        SLACK
    }

    public static final Duration DEFAULT_MIN_INTERVAL = Duration.ofSeconds(10);
    private static final Pattern VAR = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)}");

    public NotifySpec {
        events = Set.copyOf(events);
    }

    public NotifySpec(URI webhook, Format format, Set<String> events, String minLevel, Duration minInterval) {
        this(webhook, format, events, minLevel, minInterval, Optional.empty());
    }

    /** A spec with the defaults. */
    public static NotifySpec of(URI webhook, Format format) {
        return new NotifySpec(webhook, format, Set.of(), "warn", DEFAULT_MIN_INTERVAL);
    }

    /** Never prints the webhook or the secret: both hold credentials. */
    @Override
    public String toString() {
        return "NotifySpec[" + webhook.getScheme() + "://" + webhook.getHost() + "/…, format=" + format + ", events="
                + events + ", minLevel=" + minLevel + ", minInterval=" + minInterval + ", secret="
                + (secret.isPresent() ? "(set)" : "(none)") + "]";
    }

    static NotifySpec parse(ConfigNode n) {
        return parse(n, System.getenv()::get);
    }

    static NotifySpec parse(ConfigNode n, Function<String, String> env) {
        if (n.isScalar()) {
            throw n.error(
                    "expected a mapping such as '- webhook: https://…'",
                    "write each entry as '- webhook: URL' with an optional 'format:'");
        }
        n.allowOnly(Set.of("webhook", "format", "events", "level", "min-interval", "secret"));
        ConfigNode w = n.get("webhook").required();
        URI uri = parseUri(w, expand(w, env));
        Format format = Format.valueOf(n.get("format")
                .asChoice(new LinkedHashSet<>(List.of("json", "wecom", "dingtalk", "feishu", "slack")), "json")
                .toUpperCase());
        Set<String> events = new LinkedHashSet<>();
        for (ConfigNode e : n.get("events").asList()) {
            String t = e.asString().trim();
            if (!t.matches("[a-z][a-z0-9-]*")) {
                throw e.error(
                        "'" + t + "' is not an event type",
                        "use type names such as crashed, restarting, failed, unhealthy, recovered, tunnel-down");
            }
            events.add(t);
        }
        String level = n.get("level").asChoice(new LinkedHashSet<>(List.of("info", "warn", "error")), "warn");
        Duration minInterval = n.get("min-interval").asDuration(DEFAULT_MIN_INTERVAL);
        if (minInterval.isNegative() || minInterval.compareTo(Duration.ofHours(24)) > 0) {
            throw n.get("min-interval").error("is out of range", "use a duration from 0s to 24h, e.g. 10s");
        }
        Optional<String> secret = Optional.empty();
        if (n.has("secret")) {
            if (format != Format.DINGTALK && format != Format.FEISHU) {
                throw n.get("secret")
                        .error(
                                "is only used by the dingtalk and feishu formats",
                                "remove it, or set format: dingtalk or feishu");
            }
            secret = Optional.of(expand(n.get("secret"), env));
        }
        return new NotifySpec(uri, format, events, level, minInterval, secret);
    }

    private static String expand(ConfigNode w, Function<String, String> env) {
        String raw = w.asString().trim();
        Matcher m = VAR.matcher(raw);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String value = env.apply(m.group(1));
            if (value == null || value.isEmpty()) {
                throw w.error(
                        "uses ${" + m.group(1) + "} but that environment variable is not set",
                        "export " + m.group(1) + "=… in the environment Lifeline runs in (for the daemon: the"
                                + " systemd unit's Environment=)");
            }
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        m.appendTail(out);
        return out.toString();
    }

    private static URI parseUri(ConfigNode w, String text) {
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            throw w.error("is not a valid URL: " + e.getReason(), "write the bot's full webhook URL, https://…");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase();
        if (!Map.of("http", 1, "https", 1).containsKey(scheme) || uri.getHost() == null) {
            throw w.error("is not an http(s) URL with a host", "write the bot's full webhook URL, https://host/path…");
        }
        return uri;
    }
}
