package dev.lifeline.notify;

import java.time.Duration;

/**
 * How one message to one webhook went.
 *
 * @param target the webhook with its token shortened, safe to print
 * @param attempts how many times it was posted
 * @param detail what came back: "HTTP 200", "HTTP 500: …", "connection refused", the bot's errcode…
 */
public record DeliveryResult(String target, boolean delivered, int attempts, String detail, Duration took) {}
