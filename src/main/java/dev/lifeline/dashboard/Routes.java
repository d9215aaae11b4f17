package dev.lifeline.dashboard;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import dev.lifeline.core.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The route table (docs/api.md): which path and method runs which {@link Backend} op, with the
 * checks of its parameters, and how its result is written. Requests reach it authorized and with a
 * clean path; a refusal is an {@link HttpError}.
 */
final class Routes {
    private static final Pattern SHA = Pattern.compile("[0-9a-f]{64}");

    private final Backend backend;
    private final Assets assets;
    private final Thumbnails thumbnails;
    private final Streams streams;
    private final StatusCache status;

    Routes(Backend backend, Assets assets, Thumbnails thumbnails, Streams streams, StatusCache status) {
        this.backend = backend;
        this.assets = assets;
        this.thumbnails = thumbnails;
        this.streams = streams;
        this.status = status;
    }

    void serve(Request r) throws IOException {
        HttpExchange ex = r.exchange();
        if (r.size() == 0 || (r.size() == 1 && r.segment(0).equals("index.html"))) {
            r.get();
            asset(ex, "index.html");
            return;
        }
        switch (r.segment(0)) {
            case "assets" -> {
                r.get();
                if (r.size() != 2) {
                    throw Request.notFound();
                }
                asset(ex, r.segment(1));
            }
            case "metrics" -> {
                r.get();
                r.exact(1);
                ByteArrayOutputStream b = new ByteArrayOutputStream();
                backend.writeMetrics(b);
                Responses.send(ex, 200, "text/plain; version=0.0.4; charset=utf-8", b.toByteArray(), true);
            }
            case "api" -> api(r.drop(1));
            default -> throw Request.notFound();
        }
    }

    private void api(Request r) throws IOException {
        HttpExchange ex = r.exchange();
        if (r.size() == 0) {
            throw Request.notFound();
        }
        switch (r.segment(0)) {
            case "services" -> services(r);
            case "tunnels" -> {
                r.exact(1);
                r.get();
                Responses.json(ex, 200, backend.call("tunnel.status", Json.object()));
            }
            case "backup" -> {
                if (r.size() == 1) {
                    r.get();
                    Responses.json(ex, 200, backend.call("backup.status", Json.object()));
                    return;
                }
                r.exact(2);
                String op = switch (r.segment(1)) {
                    case "snapshot" -> "backup.now";
                    case "verify" -> "backup.verify";
                    default -> throw Request.notFound();
                };
                post(r);
                Responses.json(ex, 200, backend.call(op, Json.object()));
            }
            case "doctor" -> {
                r.exact(1);
                r.get();
                ObjectNode q = Json.object();
                if (r.query().containsKey("service")) {
                    q.put("service", Request.service(r.query().get("service")));
                }
                Responses.json(ex, 200, backend.call("doctor", q));
            }
            case "outputs" -> {
                r.exact(1);
                r.get();
                Responses.json(
                        ex, 200, backend.call("outputs", Json.object().put("limit", r.intParam("limit", 24, 1, 500))));
            }
            case "objects" -> objects(r);
            case "find" -> {
                r.exact(1);
                r.get();
                ObjectNode q = Json.object()
                        .put("query", r.query().getOrDefault("q", ""))
                        .put("limit", r.intParam("limit", 50, 1, 1000))
                        .put("offset", r.intParam("offset", 0, 0, 9000));
                try {
                    Responses.json(ex, 200, backend.call("catalog.find", q));
                } catch (NotFound e) {
                    if (e.getMessage().contains("catalog.find")) {
                        throw new HttpError(404, "no catalog", "this daemon has no catalog of outputs");
                    }
                    throw e;
                }
            }
            case "events" -> {
                r.exact(1);
                r.get();
                streams.open(ex, s -> backend.subscribe(e -> s.offer(e.type(), Json.write(Streams.event(e)))));
            }
            case "dashboard" -> {
                r.exact(1);
                r.get();
                Responses.json(ex, 200, backend.call("dashboard", Json.object()));
            }
            default -> throw Request.notFound();
        }
    }

    private void services(Request r) throws IOException {
        HttpExchange ex = r.exchange();
        if (r.size() == 1) {
            r.get();
            Responses.json(ex, 200, status.get());
            return;
        }
        String name = Request.service(r.segment(1));
        if (r.size() == 2) {
            r.get();
            Responses.json(ex, 200, status.known(name));
            return;
        }
        String what = r.segment(2);
        switch (what) {
            case "start", "stop", "restart" -> {
                r.exact(3);
                post(r);
                status.known(name);
                Responses.json(
                        ex,
                        200,
                        backend.call(what, Json.object().put("service", name).put("wait", false)));
            }
            case "errors" -> {
                r.exact(3);
                r.get();
                status.known(name);
                Responses.json(ex, 200, backend.call("errors", Json.object().put("service", name)));
            }
            case "logs" -> {
                if (r.size() == 4 && r.segment(3).equals("stream")) {
                    r.get();
                    status.known(name);
                    streams.open(ex, s -> backend.followLog(name, e -> s.offer("log", Json.write(e))));
                    return;
                }
                r.exact(3);
                r.get();
                status.known(name);
                ObjectNode q = Json.object().put("service", name).put("n", r.intParam("n", 200, 1, 5000));
                if (r.query().containsKey("level")) {
                    String level = r.query().get("level").toLowerCase(Locale.ROOT);
                    if (!Set.of("info", "warn", "error").contains(level)) {
                        throw new HttpError(400, "level must be info, warn or error", null);
                    }
                    q.put("level", level);
                }
                if (r.query().containsKey("q") && !r.query().get("q").isEmpty()) {
                    q.put("q", r.query().get("q"));
                }
                Responses.json(ex, 200, backend.call("logs", q));
            }
            default -> throw Request.notFound();
        }
    }

    private void objects(Request r) throws IOException {
        if (r.size() < 2 || r.size() > 3 || !SHA.matcher(r.segment(1)).matches()) {
            throw new HttpError(404, "no such object", "objects are named by 64 lowercase hex digits (SHA-256)");
        }
        HttpExchange ex = r.exchange();
        String sha = r.segment(1);
        if (r.size() == 3 && r.segment(2).equals("restore")) {
            post(r);
            Responses.json(
                    ex, 200, backend.call("outputs.restore", Json.object().put("sha256", sha)));
            return;
        }
        r.get();
        if (r.size() == 3) {
            if (!r.segment(2).equals("thumb")) {
                throw Request.notFound();
            }
            Thumbnails.Result t = thumbnails.get(sha);
            if (t instanceof Thumbnails.Ready ready) {
                ex.getResponseHeaders().set("Cache-Control", "private, max-age=86400, immutable");
                Responses.send(ex, 200, "image/jpeg", ready.jpeg(), false);
            } else if (t instanceof Thumbnails.Pending) {
                ex.getResponseHeaders().set("Retry-After", "2");
                throw new HttpError(404, "the thumbnail is being made", "ask again after Retry-After seconds");
            } else {
                throw new HttpError(404, "no thumbnail: " + ((Thumbnails.None) t).why(), null);
            }
            return;
        }
        Path f = backend.object(sha).orElseThrow(() -> new HttpError(404, "no such object", null));
        Responses.object(ex, f, sha);
    }

    private void asset(HttpExchange ex, String name) throws IOException {
        Responses.asset(ex, assets.get(name).orElseThrow(Request::notFound), name);
    }

    private static void post(Request r) throws IOException {
        r.post();
        Access.checkPost(r.exchange());
    }
}
