package dev.lifeline.notify;

import dev.lifeline.config.NotifySpec;
import dev.lifeline.core.Event;
import dev.lifeline.core.EventListener;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers events to the configured {@code notify:} webhooks. Register it as an {@link
 * EventListener}; {@link #onEvent} only queues, so supervision never waits for the network.
 *
 * <p>Each webhook has its own named thread ({@code lifeline-notify-N-host}) that posts at most one
 * message per the entry's {@code min-interval} (default 10s): a flood becomes one message that
 * shows the most recent events and counts the rest. A failed post is retried with doubling
 * delays (defaults: 6 attempts, 2s first delay, 60s cap, 10s HTTP timeout); posts go through
 * the proxy that {@code https_proxy} / {@code http_proxy} name, as with curl. Outcomes go to the
 * {@code reports} listener as {@code notify} events — which this notifier itself ignores, so a
 * broken webhook cannot feed on its own failures. Webhook tokens are never printed in full.
 *
 * <pre>
 * try (Notifier n = Notifier.builder(config.notifications()).reports(bus).build()) {
 *     bus.add(n);
 *     …
 * }
 * </pre>
 */
public final class Notifier implements EventListener, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Notifier.class);

    /** The source of the events a notifier reports about itself. */
    public static final String SOURCE = "notify";

    /** Retry policy: {@code attempts} posts in all, waiting {@code first}, then double, up to {@code max}. */
    public record Retry(int attempts, Duration first, Duration max) {
        public Retry {
            if (attempts < 1) {
                throw new IllegalArgumentException("attempts must be at least 1");
            }
        }
    }

    private final List<Destination> destinations;
    private final EventListener reports;
    private final Duration closeGrace;
    private boolean closed;

    private Notifier(Builder b) {
        this.reports = b.reports;
        this.closeGrace = b.timeout.plusSeconds(1);
        Formats formats = new Formats(b.host, b.zone);
        WebhookPoster poster = new WebhookPoster(b.timeout, new Proxies(b.environment));
        List<Destination> ds = new ArrayList<>();
        int i = 1;
        for (NotifySpec spec : b.specs) {
            ds.add(new Destination(spec, i++, formats, poster, b.retry, this::report));
        }
        this.destinations = List.copyOf(ds);
        destinations.forEach(Destination::start);
    }

    public static Builder builder(List<NotifySpec> specs) {
        return new Builder(specs);
    }

    /** Queues {@code e} for every webhook that wants it. Returns at once; never throws. */
    @Override
    public void onEvent(Event e) {
        if (e == null || e.source().equals(SOURCE) || e.source().startsWith(SOURCE + "/")) {
            return;
        }
        try {
            for (Destination d : destinations) {
                if (d.wants(e)) {
                    d.add(e);
                }
            }
        } catch (RuntimeException ex) {
            LOG.warn("could not queue a notification for {} {}", e.source(), e.type(), ex);
        }
    }

    /**
     * Posts {@code e} to every webhook once, now, on the caller's thread, whatever the filters and
     * rate limits say ({@code lifeline notify test}).
     */
    public List<DeliveryResult> sendNow(Event e) {
        List<DeliveryResult> out = new ArrayList<>();
        for (Destination d : destinations) {
            out.add(d.sendOnce(Digest.of(e)));
        }
        return out;
    }

    /** The webhooks, tokens shortened, in config order. */
    public List<String> targets() {
        return destinations.stream().map(Destination::target).toList();
    }

    /** Stops taking events, posts what is pending (bounded by the HTTP timeout), ends the threads. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        destinations.forEach(Destination::beginClose);
        long deadline = System.nanoTime() + closeGrace.toNanos(); // one grace for all, not one each
        destinations.forEach(d -> d.awaitClosed(deadline));
    }

    /** True while any delivery thread is alive (false after {@link #close}). */
    public boolean isRunning() {
        return destinations.stream().anyMatch(Destination::isRunning);
    }

    private void report(DeliveryResult r) {
        Event e;
        if (r.delivered()) {
            LOG.debug("notification delivered to {} ({} attempts)", r.target(), r.attempts());
            e = Event.of(
                    SOURCE,
                    "delivered",
                    Event.Level.INFO,
                    "notification delivered to " + r.target(),
                    Map.of("attempts", r.attempts()));
        } else {
            LOG.warn("notification to {} failed after {} attempts: {}", r.target(), r.attempts(), r.detail());
            e = Event.of(
                    SOURCE,
                    "delivery-failed",
                    Event.Level.WARN,
                    "notification to " + r.target() + " failed after " + r.attempts() + " attempts: " + r.detail(),
                    Map.of("attempts", r.attempts()));
        }
        try {
            reports.onEvent(e);
        } catch (RuntimeException ex) {
            LOG.warn("a notify report listener failed", ex);
        }
    }

    /** Settings; see the class comment for defaults. */
    public static final class Builder {
        private final List<NotifySpec> specs;
        private String host;
        private ZoneId zone = ZoneId.systemDefault();
        private Retry retry = new Retry(6, Duration.ofSeconds(2), Duration.ofSeconds(60));
        private Duration timeout = Duration.ofSeconds(10);
        private EventListener reports = EventListener.NONE;
        private Map<String, String> environment = System.getenv();

        private Builder(List<NotifySpec> specs) {
            this.specs = List.copyOf(specs);
        }

        /** The machine name put in every message (default: this host's name). */
        public Builder host(String host) {
            this.host = Objects.requireNonNull(host);
            return this;
        }

        public Builder zone(ZoneId zone) {
            this.zone = Objects.requireNonNull(zone);
            return this;
        }

        public Builder retry(Retry retry) {
            this.retry = Objects.requireNonNull(retry);
            return this;
        }

        /** Connect and read timeout of one post. */
        public Builder timeout(Duration timeout) {
            this.timeout = Objects.requireNonNull(timeout);
            return this;
        }

        /** Told the outcome of every delivery, as {@code notify} events. */
        public Builder reports(EventListener reports) {
            this.reports = Objects.requireNonNull(reports);
            return this;
        }

        /** Where https_proxy, http_proxy and no_proxy are read (default: this process's environment). */
        public Builder environment(Map<String, String> env) {
            this.environment = Map.copyOf(env);
            return this;
        }

        public Notifier build() {
            if (host == null) {
                host = localHostName();
            }
            return new Notifier(this);
        }

        private static String localHostName() {
            String env = System.getenv("HOSTNAME");
            if (env != null && !env.isBlank()) {
                return env;
            }
            try {
                return InetAddress.getLocalHost().getHostName();
            } catch (UnknownHostException e) {
                return "localhost";
            }
        }
    }
}
