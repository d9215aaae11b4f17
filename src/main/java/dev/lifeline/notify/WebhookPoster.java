package dev.lifeline.notify;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;

/**
 * One HTTP POST of a JSON body, synchronously on the caller's (delivery) thread, and what the
 * answer means: 2xx is delivered unless the bot's JSON says otherwise ({@code errcode} for WeCom
 * and DingTalk, {@code code} for Feishu); 408, 429, 5xx, bot rate-limit codes and network errors
 * are worth retrying; other failures are not.
 */
final class WebhookPoster {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** WeCom 45009, DingTalk 130101, Feishu 9499 and 11232: "sending too fast". */
    private static final Set<Integer> BOT_RATE_LIMITED = Set.of(45009, 130101, 9499, 11232);

    record Outcome(boolean delivered, boolean retryable, String detail) {}

    private final Duration timeout;
    private final Proxies proxies;

    WebhookPoster(Duration timeout, Proxies proxies) {
        this.timeout = timeout;
        this.proxies = proxies;
    }

    Outcome post(URI uri, String body) {
        HttpURLConnection c = null;
        try {
            c = (HttpURLConnection) uri.toURL().openConnection(proxies.forUri(uri));
            c.setConnectTimeout((int) timeout.toMillis());
            c.setReadTimeout((int) timeout.toMillis());
            c.setInstanceFollowRedirects(false);
            c.setRequestMethod("POST");
            c.setDoOutput(true);
            c.setRequestProperty("Content-Type", "application/json; charset=utf-8");
            c.setRequestProperty("User-Agent", "lifeline");
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            c.setFixedLengthStreamingMode(bytes.length);
            try (OutputStream out = c.getOutputStream()) {
                out.write(bytes);
            }
            int status = c.getResponseCode();
            String answer = read(status >= 400 ? c.getErrorStream() : c.getInputStream());
            if (status / 100 != 2) {
                boolean retry = status == 408 || status == 429 || status >= 500;
                return new Outcome(false, retry, "HTTP " + status + brief(answer));
            }
            return botVerdict(status, answer);
        } catch (UnknownHostException e) {
            return new Outcome(false, true, "unknown host " + uri.getHost());
        } catch (ConnectException e) {
            return new Outcome(false, true, "cannot connect to " + uri.getHost() + ": " + e.getMessage());
        } catch (SocketTimeoutException e) {
            return new Outcome(false, true, "no answer within " + timeout.toMillis() + " ms");
        } catch (IOException e) {
            return new Outcome(false, true, e.getClass().getSimpleName() + ": " + e.getMessage());
        } finally {
            if (c != null) {
                c.disconnect();
            }
        }
    }

    private static Outcome botVerdict(int status, String answer) {
        if (answer.startsWith("{")) {
            try {
                JsonNode n = JSON.readTree(answer);
                JsonNode code = n.has("errcode") ? n.get("errcode") : n.get("code");
                if (code != null && code.isNumber() && code.asInt() != 0) {
                    return new Outcome(
                            false,
                            BOT_RATE_LIMITED.contains(code.asInt()),
                            "HTTP " + status + " but the bot refused it" + brief(answer));
                }
            } catch (IOException e) {
                // not JSON after all: a 2xx is good enough
            }
        }
        return new Outcome(true, false, "HTTP " + status);
    }

    private static String read(InputStream in) throws IOException {
        if (in == null) {
            return "";
        }
        try (in) {
            return new String(in.readNBytes(4096), StandardCharsets.UTF_8).strip();
        }
    }

    private static String brief(String answer) {
        if (answer.isEmpty()) {
            return "";
        }
        String one = answer.replaceAll("\\s+", " ");
        return ": " + (one.length() > 200 ? one.substring(0, 199) + "…" : one);
    }
}
