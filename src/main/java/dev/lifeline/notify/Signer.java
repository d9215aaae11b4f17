package dev.lifeline.notify;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lifeline.config.NotifySpec;
import dev.lifeline.config.NotifySpec.Format;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The "sign" security of chat bots. DingTalk: {@code &timestamp=MS&sign=} Base64(HmacSHA256(key =
 * secret, data = "MS\nsecret")) on the URL. Feishu: {@code "timestamp": "S", "sign":}
 * Base64(HmacSHA256(key = "S\nsecret", data = empty)) in the body.
 */
final class Signer {
    private static final ObjectMapper JSON = new ObjectMapper();

    record Request(URI uri, String body) {}

    private Signer() {}

    static Request sign(NotifySpec spec, String body, long nowMillis) {
        if (spec.secret().isEmpty()) {
            return new Request(spec.webhook(), body);
        }
        String secret = spec.secret().get();
        if (spec.format() == Format.DINGTALK) {
            String sign = hmac(secret, nowMillis + "\n" + secret);
            String sep = spec.webhook().getRawQuery() == null ? "?" : "&";
            URI uri = URI.create(spec.webhook() + sep + "timestamp=" + nowMillis + "&sign="
                    + URLEncoder.encode(sign, StandardCharsets.UTF_8));
            return new Request(uri, body);
        }
        if (spec.format() == Format.FEISHU) {
            long seconds = nowMillis / 1000;
            String sign = hmac(seconds + "\n" + secret, "");
            try {
                ObjectNode n = (ObjectNode) JSON.readTree(body);
                n.put("timestamp", Long.toString(seconds));
                n.put("sign", sign);
                return new Request(spec.webhook(), n.toString());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return new Request(spec.webhook(), body);
    }

    static String hmac(String key, String data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return Base64.getEncoder().encodeToString(mac.doFinal(data.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }
}
