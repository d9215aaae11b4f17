package dev.lifeline.catalog.meta;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The XMP properties generators use (Draw Things: {@code exif:UserComment} holding its JSON,
 * {@code xmp:CreatorTool}; others {@code dc:description}), found by pattern rather than by an XML
 * parser: XMP is small and an XML parser brings entity expansion to defend against.
 */
final class Xmp {
    private static final Pattern ATTRIBUTE = Pattern.compile("\\s(xmp:CreatorTool)=\"([^\"]{0,1000})\"");
    private static final String[] PROPERTIES = {"exif:UserComment", "dc:description", "xmp:CreatorTool"};
    /** XMP longer than this is not read (generators write a few KiB). */
    static final int MAX_LENGTH = 4 * 1024 * 1024;

    private Xmp() {}

    /** The first occurrence of each property, found with indexOf: one pass per property, whatever the text. */
    static void read(String xml, Found found) {
        if (xml.length() > MAX_LENGTH) {
            return;
        }
        for (String name : PROPERTIES) {
            int open = xml.indexOf("<" + name);
            int after = open < 0 ? -1 : open + name.length() + 1;
            if (after < 0
                    || after >= xml.length()
                    || (xml.charAt(after) != '>' && !Character.isWhitespace(xml.charAt(after)))) {
                continue;
            }
            int gt = xml.indexOf('>', after);
            int close = gt < 0 ? -1 : xml.indexOf("</" + name + ">", gt);
            if (close < 0 || xml.charAt(gt - 1) == '/') {
                continue;
            }
            String body = xml.substring(gt + 1, close);
            int li = body.indexOf("<rdf:li");
            int liGt = li < 0 ? -1 : body.indexOf('>', li);
            int liEnd = liGt < 0 ? -1 : body.indexOf("</rdf:li>", liGt);
            String v = liEnd > 0 ? body.substring(liGt + 1, liEnd) : body;
            found.text("xmp:" + name.substring(name.indexOf(':') + 1), unescape(v.strip()));
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
