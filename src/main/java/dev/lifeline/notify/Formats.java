package dev.lifeline.notify;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lifeline.config.NotifySpec.Format;
import dev.lifeline.core.Event;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.TreeMap;

/**
 * Renders a {@link Digest} as the body each kind of bot expects. Chat bots get plain text that
 * starts with "[Lifeline]" (a DingTalk bot with keyword security can use that word) and is kept
 * under their size limits (WeCom: 2048 bytes).
 */
final class Formats {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** WeCom refuses text over 2048 bytes of UTF-8; the others allow more, but a chat alert should be short. */
    private static final int TEXT_LIMIT_BYTES = 2000;

    private static final int LINES = 10;

    private final String host;
    private final ZoneId zone;

    Formats(String host, ZoneId zone) {
        this.host = host;
        this.zone = zone;
    }

    String body(Format format, Digest d) {
        return switch (format) {
            case JSON -> json(d).toString();
            case WECOM, DINGTALK -> {
                ObjectNode n = JSON.createObjectNode().put("msgtype", "text");
                n.putObject("text").put("content", text(d));
                yield n.toString();
            }
            case FEISHU -> {
                ObjectNode n = JSON.createObjectNode().put("msg_type", "text");
                n.putObject("content").put("text", text(d));
                yield n.toString();
            }
            case SLACK -> JSON.createObjectNode().put("text", text(d)).toString();
        };
    }

    /** Generic JSON: the latest event's fields at the top, and every shown event under "events". */
    ObjectNode json(Digest d) {
        ObjectNode n = event(d.latest());
        n.put("host", host);
        n.put("level", d.worst().name());
        n.put("count", d.total());
        n.put("notShown", d.notShown());
        ObjectNode types = n.putObject("types");
        new TreeMap<>(d.byType()).forEach(types::put);
        ArrayNode events = n.putArray("events");
        d.shown().forEach(e -> events.add(event(e)));
        return n;
    }

    private ObjectNode event(Event e) {
        ObjectNode n = JSON.createObjectNode();
        n.put("time", e.time().toString());
        n.put("source", e.source());
        n.put("type", e.type());
        n.put("level", e.level().name());
        n.put("message", e.message());
        ObjectNode fields = n.putObject("fields");
        for (Map.Entry<String, Object> f : new TreeMap<>(e.fields()).entrySet()) {
            // Numbers and booleans stay JSON values; anything else (Duration, Path…) is its text.
            Object v = f.getValue();
            if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
                fields.put(f.getKey(), ((Number) v).longValue());
            } else if (v instanceof Number num) {
                fields.put(f.getKey(), num.doubleValue());
            } else if (v instanceof Boolean b) {
                fields.put(f.getKey(), b);
            } else {
                fields.put(f.getKey(), String.valueOf(v));
            }
        }
        return n;
    }

    String text(Digest d) {
        StringBuilder b = new StringBuilder();
        DateTimeFormatter full =
                DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss z").withZone(zone);
        if (d.single()) {
            Event e = d.latest();
            b.append("[Lifeline] ")
                    .append(e.level())
                    .append(' ')
                    .append(e.source())
                    .append(' ')
                    .append(e.type())
                    .append(" on ")
                    .append(host)
                    .append('\n');
            b.append(e.message()).append('\n');
            b.append("time: ").append(full.format(e.time()));
            for (Map.Entry<String, Object> f : new TreeMap<>(e.fields()).entrySet()) {
                b.append('\n').append(f.getKey()).append(": ").append(f.getValue());
            }
        } else {
            DateTimeFormatter time = DateTimeFormatter.ofPattern("HH:mm:ss").withZone(zone);
            StringBuilder types = new StringBuilder();
            new TreeMap<>(d.byType())
                    .forEach((t, c) -> types.append(types.length() == 0 ? "" : ", ")
                            .append(t)
                            .append(" ×")
                            .append(c));
            b.append("[Lifeline] ")
                    .append(d.worst())
                    .append(' ')
                    .append(d.total())
                    .append(" events on ")
                    .append(host)
                    .append(" (")
                    .append(types)
                    .append(")\n");
            int from = Math.max(0, d.shown().size() - LINES);
            for (Event e : d.shown().subList(from, d.shown().size())) {
                b.append(time.format(e.time()))
                        .append(' ')
                        .append(e.level())
                        .append(' ')
                        .append(e.source())
                        .append(' ')
                        .append(e.type())
                        .append(": ")
                        .append(e.message())
                        .append('\n');
            }
            int hidden = d.total() - (d.shown().size() - from);
            if (hidden > 0) {
                b.append(hidden).append(" earlier events not shown (coalesced to limit the rate)\n");
            }
            b.append("latest: ").append(full.format(d.latest().time()));
        }
        return fit(b.toString(), TEXT_LIMIT_BYTES);
    }

    /** {@code s} cut at a character boundary so that it and a trailing "…" fit in {@code maxBytes} of UTF-8. */
    static String fit(String s, int maxBytes) {
        if (s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length <= maxBytes) {
            return s;
        }
        int bytes = 3; // the "…"
        int i = 0;
        while (i < s.length()) {
            int cp = s.codePointAt(i);
            int n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
            if (bytes + n > maxBytes) {
                break;
            }
            bytes += n;
            i += Character.charCount(cp);
        }
        return s.substring(0, i) + "…";
    }
}
