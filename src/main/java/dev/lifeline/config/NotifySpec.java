package dev.lifeline.config;

import java.util.Set;

/**
 * One {@code notify:} entry. Placeholder shape: the notification work owns this file and
 * extends it.
 */
public record NotifySpec(String webhook, String format) {
    static NotifySpec parse(ConfigNode n) {
        n.allowOnly(Set.of("webhook", "format", "events", "min-interval"));
        return new NotifySpec(
                n.get("webhook").required().asString(),
                n.get("format").asChoice(Set.of("json", "wecom", "dingtalk", "feishu", "slack"), "json"));
    }
}
