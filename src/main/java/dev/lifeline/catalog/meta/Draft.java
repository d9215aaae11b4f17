package dev.lifeline.catalog.meta;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An {@link ImageMeta} being filled in by a parser: each setter keeps the first non-empty value
 * it is given, and converts text the way the tools write numbers ("7", "7.0", " 30 ").
 */
final class Draft {
    private static final Pattern SIZE = Pattern.compile("\\(?\\s*(\\d{1,6})\\s*[x×,*]\\s*(\\d{1,6})\\s*\\)?");

    String tool;
    String prompt;
    String negative;
    Long seed;
    Integer steps;
    Double cfg;
    String sampler;
    String scheduler;
    String model;
    String modelHash;
    final List<ImageMeta.Lora> loras = new ArrayList<>();
    Integer width;
    Integer height;

    Draft(String tool) {
        this.tool = tool;
    }

    Draft prompt(String v) {
        if (prompt == null) {
            prompt = text(v);
        }
        return this;
    }

    Draft negative(String v) {
        if (negative == null) {
            negative = text(v);
        }
        return this;
    }

    Draft sampler(String v) {
        if (sampler == null) {
            sampler = text(v);
        }
        return this;
    }

    Draft scheduler(String v) {
        if (scheduler == null) {
            scheduler = text(v);
        }
        return this;
    }

    Draft model(String v) {
        if (model == null) {
            model = text(v);
        }
        return this;
    }

    Draft modelHash(String v) {
        if (modelHash == null) {
            modelHash = text(v);
        }
        return this;
    }

    Draft seed(Object v) {
        if (seed == null) {
            seed = asLong(v);
        }
        return this;
    }

    Draft steps(Object v) {
        if (steps == null) {
            Long l = asLong(v);
            steps = l == null || l < 0 || l > 100_000 ? null : l.intValue();
        }
        return this;
    }

    Draft cfg(Object v) {
        if (cfg == null) {
            cfg = asDouble(v);
        }
        return this;
    }

    Draft size(Object w, Object h) {
        if (width == null) {
            Long x = asLong(w);
            Long y = asLong(h);
            if (x != null && y != null && x > 0 && y > 0 && x <= 1_000_000 && y <= 1_000_000) {
                width = x.intValue();
                height = y.intValue();
            }
        }
        return this;
    }

    /** "512x768", "1024 x 1024", "(768, 1280)". */
    Draft size(String wxh) {
        if (width == null && wxh != null) {
            Matcher m = SIZE.matcher(wxh.strip());
            if (m.matches()) {
                size(m.group(1), m.group(2));
            }
        }
        return this;
    }

    Draft lora(String name, Object weight) {
        String n = text(name);
        if (n != null && loras.stream().noneMatch(l -> l.name().equals(n))) {
            loras.add(new ImageMeta.Lora(n, asDouble(weight)));
        }
        return this;
    }

    boolean empty() {
        return prompt == null
                && negative == null
                && seed == null
                && steps == null
                && cfg == null
                && sampler == null
                && model == null;
    }

    ImageMeta build(String raw, Found found) {
        if (width == null && found != null && found.width != null) {
            width = found.width;
            height = found.height;
        }
        return new ImageMeta(
                tool, prompt, negative, seed, steps, cfg, sampler, scheduler, model, modelHash, loras, width, height,
                raw);
    }

    /** Non-blank text, or null. JSON text nodes as their text; other JSON scalars as their text form. */
    static String text(Object v) {
        if (v instanceof JsonNode j) {
            v = j.isValueNode() && !j.isNull() ? j.asText() : null;
        }
        if (v == null) {
            return null;
        }
        String s = v.toString();
        return s.isBlank() || s.equals("None") ? null : s;
    }

    /** A whole number from a JSON number or text; null when it is none or does not fit 64 bits. */
    static Long asLong(Object v) {
        if (v instanceof JsonNode j) {
            if (j.isIntegralNumber()) {
                return j.canConvertToLong() ? j.longValue() : null;
            }
            if (j.isNumber()) {
                double d = j.doubleValue();
                return d == Math.rint(d) && Math.abs(d) < 9.0e15 ? (long) d : null;
            }
            v = j.isTextual() ? j.textValue() : null;
        }
        if (v instanceof Number n) {
            return n.longValue();
        }
        if (v == null) {
            return null;
        }
        String s = v.toString().strip();
        if (s.endsWith(".0")) {
            s = s.substring(0, s.length() - 2);
        }
        if (s.isEmpty() || s.length() > 20) {
            return null;
        }
        try {
            BigInteger b = new BigInteger(s);
            return b.bitLength() < 64 ? b.longValue() : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    static Double asDouble(Object v) {
        if (v instanceof JsonNode j) {
            if (j.isNumber()) {
                double d = j.doubleValue();
                return Double.isFinite(d) ? d : null;
            }
            v = j.isTextual() ? j.textValue() : null;
        }
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        if (v == null) {
            return null;
        }
        String s = v.toString().strip();
        if (s.isEmpty() || s.length() > 40) {
            return null;
        }
        try {
            double d = Double.parseDouble(s);
            return Double.isFinite(d) ? d : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
