package dev.lifeline.catalog.meta;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The XMP properties generators use (Draw Things: {@code exif:UserComment} holding its JSON,
 * {@code xmp:CreatorTool}; others {@code dc:description}), found by pattern rather than by an XML
 * parser: XMP is small and an XML parser brings entity expansion to defend against.
 */
final class Xmp {
    private static final Pattern PROPERTY = Pattern.compile(
            "<(exif:UserComment|dc:description|xmp:CreatorTool)(?:\\s[^>]{0,2000})?>(.{0,4000000}?)</\\1>",
            Pattern.DOTALL);
    private static final Pattern ATTRIBUTE = Pattern.compile("\\s(xmp:CreatorTool)=\"([^\"]{0,1000})\"");
    private static final Pattern LI = Pattern.compile("<rdf:li(?:\\s[^>]{0,2000})?>(.*?)</rdf:li>", Pattern.DOTALL);

    private Xmp() {}

    static void read(String xml, Found found) {
        Matcher m = PROPERTY.matcher(xml);
        while (m.find()) {
            String body = m.group(2);
            Matcher li = LI.matcher(body);
            String v = li.find() ? li.group(1) : body;
            found.text("xmp:" + m.group(1).substring(m.group(1).indexOf(':') + 1), unescape(v.strip()));
        }
        Matcher a = ATTRIBUTE.matcher(xml);
        if (a.find()) {
            found.text("xmp:CreatorTool", unescape(a.group(2)));
        }
    }

    static String unescape(String s) {
        if (s.indexOf('&') < 0) {
            return s;
        }
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            int semi = c == '&' ? s.indexOf(';', i) : -1;
            if (semi < 0 || semi - i > 10) {
                out.append(c);
                continue;
            }
            String e = s.substring(i + 1, semi);
            String r = switch (e) {
                case "amp" -> "&";
                case "lt" -> "<";
                case "gt" -> ">";
                case "quot" -> "\"";
                case "apos" -> "'";
                default -> numeric(e);
            };
            if (r == null) {
                out.append(c);
            } else {
                out.append(r);
                i = semi;
            }
        }
        return out.toString();
    }

    private static String numeric(String e) {
        try {
            if (e.startsWith("#x") || e.startsWith("#X")) {
                return new String(Character.toChars(Integer.parseInt(e.substring(2), 16)));
            }
            if (e.startsWith("#")) {
                return new String(Character.toChars(Integer.parseInt(e.substring(1))));
            }
        } catch (IllegalArgumentException ignored) {
            // not a character reference
        }
        return null;
    }
}
