package dev.lifeline.notify;

import java.net.URI;

/**
 * Webhook URLs carry their bot's token (WeCom {@code ?key=}, DingTalk {@code ?access_token=},
 * Feishu and Slack in the path), so they are shown only as host plus the start of each token.
 */
final class Redact {
    private Redact() {}

    /** "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a…". */
    static String url(URI uri) {
        StringBuilder out = new StringBuilder();
        out.append(uri.getScheme()).append("://").append(uri.getHost());
        if (uri.getPort() >= 0) {
            out.append(':').append(uri.getPort());
        }
        String path = uri.getRawPath();
        if (path != null && !path.isEmpty()) {
            for (String seg : path.substring(1).split("/", -1)) {
                out.append('/').append(looksSecret(seg) ? shorten(seg) : seg);
            }
        }
        String query = uri.getRawQuery();
        if (query != null && !query.isEmpty()) {
            out.append('?');
            String[] params = query.split("&");
            for (int i = 0; i < params.length; i++) {
                int eq = params[i].indexOf('=');
                if (i > 0) {
                    out.append('&');
                }
                out.append(eq < 0 ? params[i] : params[i].substring(0, eq + 1) + shorten(params[i].substring(eq + 1)));
            }
        }
        return out.toString();
    }

    /** Long path segments, or shorter ones with digits: Slack's and Feishu's ids and tokens. */
    private static boolean looksSecret(String seg) {
        return seg.length() >= 16 || (seg.length() >= 8 && seg.chars().anyMatch(Character::isDigit));
    }

    private static String shorten(String s) {
        return s.length() <= 4 ? "…" : s.substring(0, 4) + "…";
    }
}
