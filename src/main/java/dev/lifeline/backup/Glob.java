package dev.lifeline.backup;

import java.util.regex.Pattern;

/**
 * The one glob matcher of the vault, for {@code backup.exclude} and for the patterns of
 * {@code backup ls} and {@code restore}, so that a glob means the same in both. Syntax as the
 * JDK's {@code glob:} ({@code *} and {@code ?} within one element, {@code **} across elements,
 * {@code [a-z]}, {@code [!a-z]}, {@code {png,jpg}}, {@code \} escapes). A glob without {@code /}
 * matches a file or folder name at any depth ({@code *.png}); one with {@code /} matches the path
 * from the source folder down ({@code 2026-01-05/*.png}), and, for a snapshot path, which starts
 * with the source's name, also the whole path ({@code outputs/2026-01-05/*.png}).
 */
final class Glob {
    private final String glob;
    private final Pattern pattern;
    private final boolean anyDepth;

    private Glob(String glob) {
        this.glob = glob;
        this.pattern = Pattern.compile(regex(glob), Pattern.DOTALL);
        this.anyDepth = glob.indexOf('/') < 0;
    }

    /** @throws IllegalArgumentException naming the glob and what is wrong with it */
    static Glob of(String glob) {
        return new Glob(glob);
    }

    /** True when it matches a name at any depth (it has no {@code /}). */
    boolean anyDepth() {
        return anyDepth;
    }

    /** Matches one file or folder name (for a glob without '/'). */
    boolean matchesName(String name) {
        return pattern.matcher(name).matches();
    }

    /** For {@code backup.exclude}: {@code rel} is the path under the source folder, '/'-separated. */
    boolean matchesInSource(String rel) {
        if (anyDepth) {
            return pattern.matcher(rel.substring(rel.lastIndexOf('/') + 1)).matches();
        }
        return pattern.matcher(rel).matches();
    }

    /**
     * For a snapshot's path ({@code outputs/…}): a name at any depth, or the path under the
     * source, or the whole path; a matched folder counts for everything under it.
     */
    boolean matchesSnapshotPath(String path) {
        int slash = path.indexOf('/');
        String[] parts = path.split("/", -1);
        if (anyDepth) {
            for (int i = 1; i < parts.length; i++) {
                if (pattern.matcher(parts[i]).matches()) {
                    return true;
                }
            }
            return parts.length == 1 && pattern.matcher(path).matches();
        }
        for (int end = path.length(); end > 0; end = path.lastIndexOf('/', end - 1)) {
            String head = path.substring(0, end);
            if (pattern.matcher(head).matches()
                    || (slash >= 0
                            && end > slash
                            && pattern.matcher(head.substring(slash + 1)).matches())) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return glob;
    }

    /** The JDK's glob syntax as a regular expression ('/' is the separator). */
    static String regex(String glob) {
        StringBuilder re = new StringBuilder("^");
        boolean inGroup = false;
        int i = 0;
        while (i < glob.length()) {
            char c = glob.charAt(i++);
            switch (c) {
                case '\\' -> {
                    if (i == glob.length()) {
                        throw new IllegalArgumentException("glob '" + glob + "' ends with a lone '\\'");
                    }
                    quote(re, glob.charAt(i++));
                }
                case '/' -> re.append('/');
                case '[' -> {
                    re.append("[[^/]&&[");
                    if (i < glob.length() && glob.charAt(i) == '^') {
                        re.append("\\^");
                        i++;
                    } else if (i < glob.length() && glob.charAt(i) == '!') {
                        re.append('^');
                        i++;
                    }
                    boolean closed = false;
                    boolean first = true;
                    while (i < glob.length()) {
                        char k = glob.charAt(i++);
                        if (k == ']' && !first) {
                            closed = true;
                            break;
                        }
                        first = false;
                        if (k == '/') {
                            throw new IllegalArgumentException("glob '" + glob + "': '/' inside [...]");
                        }
                        if (k == '\\' || k == '[' || k == '&' && i < glob.length() && glob.charAt(i) == '&') {
                            re.append('\\');
                        }
                        re.append(k);
                    }
                    if (!closed) {
                        throw new IllegalArgumentException("glob '" + glob + "': '[' without ']'");
                    }
                    re.append("]]");
                }
                case '{' -> {
                    if (inGroup) {
                        throw new IllegalArgumentException("glob '" + glob + "': nested '{'");
                    }
                    re.append("(?:(?:");
                    inGroup = true;
                }
                case '}' -> {
                    if (inGroup) {
                        re.append("))");
                        inGroup = false;
                    } else {
                        re.append('}');
                    }
                }
                case ',' -> re.append(inGroup ? ")|(?:" : ",");
                case '*' -> {
                    if (i < glob.length() && glob.charAt(i) == '*') {
                        re.append(".*");
                        i++;
                    } else {
                        re.append("[^/]*");
                    }
                }
                case '?' -> re.append("[^/]");
                default -> quote(re, c);
            }
        }
        if (inGroup) {
            throw new IllegalArgumentException("glob '" + glob + "': '{' without '}'");
        }
        return re.append('$').toString();
    }

    /** {@code name} as a glob that matches only itself. */
    static String quote(String name) {
        StringBuilder sb = new StringBuilder();
        for (char c : name.toCharArray()) {
            if ("\\*?[]{},".indexOf(c) >= 0) {
                sb.append('\\');
            }
            sb.append(c);
        }
        return sb.toString();
    }

    private static void quote(StringBuilder re, char c) {
        if ("\\^$.|?*+()[]{}".indexOf(c) >= 0) {
            re.append('\\');
        }
        re.append(c);
    }

    /**
     * Entries of a snapshot that {@code patterns} select: each a glob (it has {@code * ? [ {}), or
     * a path prefix (a folder or a file of the snapshot), which, without {@code /}, is also a name
     * at any depth (as in {@code backup.exclude}); none selects all.
     */
    static java.util.List<FileEntry> select(java.util.List<FileEntry> files, java.util.List<String> patterns) {
        if (patterns.isEmpty()) {
            return files;
        }
        java.util.List<Glob> globs = new java.util.ArrayList<>();
        java.util.List<String> prefixes = new java.util.ArrayList<>();
        for (String p : patterns) {
            String s = p.startsWith("/") ? p.substring(1) : p;
            if (s.matches(".*[*?\\[{].*")) {
                globs.add(of(s));
            } else {
                String prefix = s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
                prefixes.add(prefix);
                if (!prefix.isEmpty() && prefix.indexOf('/') < 0) {
                    globs.add(of(quote(prefix))); // a bare name, as in backup.exclude: at any depth
                }
            }
        }
        java.util.List<FileEntry> out = new java.util.ArrayList<>();
        for (FileEntry f : files) {
            String path = f.path();
            boolean hit = false;
            for (String x : prefixes) {
                if (path.equals(x) || path.startsWith(x + "/")) {
                    hit = true;
                    break;
                }
            }
            for (int i = 0; !hit && i < globs.size(); i++) {
                hit = globs.get(i).matchesSnapshotPath(path);
            }
            if (hit) {
                out.add(f);
            }
        }
        return out;
    }
}
