package dev.lifeline.notify;

import dev.lifeline.config.NotifySpec;
import dev.lifeline.core.Event;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * One webhook and its own delivery thread. Events are only appended under a short lock, so the
 * emitter never waits for the network. The thread sends at most one message per {@code
 * min-interval}; whatever arrives in between is coalesced into the next message (the most recent
 * {@value #KEEP} events plus counts by type). A failed post is retried with doubling delays.
 */
final class Destination {
    static final int KEEP = 20;
    private static final int MAX_TYPES = 50;

    private final NotifySpec spec;
    private final String target;
    private final Formats formats;
    private final WebhookPoster poster;
    private final Notifier.Retry retry;
    private final Consumer<DeliveryResult> results;
    private final Thread thread;
    private final Event.Level minLevel;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    // guarded by lock
    private final ArrayDeque<Event> pending = new ArrayDeque<>();
    private final Map<String, Integer> pendingTypes = new LinkedHashMap<>();
    private int pendingTotal;
    private Event.Level pendingWorst = Event.Level.INFO;
    private boolean closing;

    Destination(
            NotifySpec spec,
            int index,
            Formats formats,
            WebhookPoster poster,
            Notifier.Retry retry,
            Consumer<DeliveryResult> results) {
        this.spec = spec;
        this.target = Redact.url(spec.webhook());
        this.minLevel = Event.Level.valueOf(spec.minLevel().toUpperCase(java.util.Locale.ROOT));
        this.formats = formats;
        this.poster = poster;
        this.retry = retry;
        this.results = results;
        this.thread = new Thread(
                this::loop, "lifeline-notify-" + index + "-" + spec.webhook().getHost());
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    String target() {
        return target;
    }

    /**
     * Types sent by default whatever their level: the good news after an alert ({@code
     * recovered}: a service is ready again after a crash; {@code tunnel-up}: a tunnel is up again
     * after being down).
     */
    static final java.util.Set<String> ALWAYS = java.util.Set.of("recovered", "tunnel-up");

    /** True when this webhook wants {@code e} (its events list, or its minimum level and {@link #ALWAYS}). */
    boolean wants(Event e) {
        if (!spec.events().isEmpty()) {
            return spec.events().contains(e.type());
        }
        return e.level().compareTo(minLevel) >= 0 || ALWAYS.contains(e.type());
    }

    /** Queues {@code e}; constant time, never blocks on the network. */
    void add(Event e) {
        lock.lock();
        try {
            if (closing) {
                return;
            }
            pending.addLast(e);
            if (pending.size() > KEEP) {
                pending.removeFirst();
            }
            String type = pendingTypes.containsKey(e.type()) || pendingTypes.size() < MAX_TYPES ? e.type() : "other";
            pendingTypes.merge(type, 1, Integer::sum);
            pendingTotal++;
            if (e.level().compareTo(pendingWorst) > 0) {
                pendingWorst = e.level();
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Posts {@code d} once, now, on the caller's thread. */
    DeliveryResult sendOnce(Digest d) {
        long t0 = System.nanoTime();
        WebhookPoster.Outcome o = post(formats.body(spec.format(), d));
        return new DeliveryResult(
                target, o.delivered(), 1, scrub(o.detail()), Duration.ofNanos(System.nanoTime() - t0));
    }

    /** Stops taking events; the thread posts what is pending, then ends. */
    void beginClose() {
        lock.lock();
        try {
            closing = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Waits until {@code deadline} (System.nanoTime) for the thread to end, then interrupts it. */
    void awaitClosed(long deadline) {
        try {
            long left = deadline - System.nanoTime();
            if (left > 0) {
                thread.join(Math.max(1, left / 1_000_000));
            }
            if (thread.isAlive()) {
                thread.interrupt();
                thread.join(1000);
            }
        } catch (InterruptedException e) {
            thread.interrupt();
            Thread.currentThread().interrupt();
        }
    }

    boolean isRunning() {
        return thread.isAlive();
    }

    private void loop() {
        long nextAllowed = System.nanoTime();
        try {
            while (true) {
                Digest d;
                lock.lock();
                try {
                    while (pendingTotal == 0 && !closing) {
                        changed.await();
                    }
                    if (pendingTotal == 0) {
                        return; // closing with nothing left
                    }
                    // Rate limit: wait out the interval, collecting what else arrives meanwhile.
                    long wait;
                    while (!closing && (wait = nextAllowed - System.nanoTime()) > 0) {
                        changed.awaitNanos(wait);
                    }
                    d = new Digest(List.copyOf(pending), pendingTotal, pendingTypes, pendingWorst);
                    pending.clear();
                    pendingTypes.clear();
                    pendingTotal = 0;
                    pendingWorst = Event.Level.INFO;
                } finally {
                    lock.unlock();
                }
                try {
                    results.accept(deliver(d));
                } catch (RuntimeException e) {
                    // a bug in formatting must not end this thread: report it and carry on
                    results.accept(
                            new DeliveryResult(target, false, 0, "could not build the message: " + e, Duration.ZERO));
                }
                nextAllowed = System.nanoTime() + spec.minInterval().toNanos();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // close() ran out of patience: end the thread
        }
    }

    private DeliveryResult deliver(Digest d) throws InterruptedException {
        long t0 = System.nanoTime();
        String body = formats.body(spec.format(), d);
        Duration delay = retry.first();
        int attempt = 0;
        while (true) {
            attempt++;
            WebhookPoster.Outcome o = post(body);
            boolean last = !o.retryable() || attempt >= retry.attempts() || isClosing();
            if (o.delivered() || last) {
                return new DeliveryResult(
                        target, o.delivered(), attempt, scrub(o.detail()), Duration.ofNanos(System.nanoTime() - t0));
            }
            waitUnlessClosing(delay);
            delay = delay.multipliedBy(2).compareTo(retry.max()) > 0 ? retry.max() : delay.multipliedBy(2);
        }
    }

    /** Signed afresh on every attempt: the bots reject old timestamps. */
    private WebhookPoster.Outcome post(String body) {
        Signer.Request r = Signer.sign(spec, body, System.currentTimeMillis());
        return poster.post(r.uri(), r.body());
    }

    private boolean isClosing() {
        lock.lock();
        try {
            return closing;
        } finally {
            lock.unlock();
        }
    }

    private void waitUnlessClosing(Duration d) throws InterruptedException {
        long deadline = System.nanoTime() + d.toNanos();
        lock.lock();
        try {
            long left;
            while (!closing && (left = deadline - System.nanoTime()) > 0) {
                changed.awaitNanos(left);
            }
        } finally {
            lock.unlock();
        }
    }

    private String scrub(String detail) {
        String out = detail.replace(spec.webhook().toString(), target);
        return spec.secret().map(sec -> out.replace(sec, "…")).orElse(out);
    }
}
