package dev.lifeline.cli;

/** Counts as people write them: "1 file", "2 files", "0 files" — never "1 file(s)". */
final class Plural {
    private Plural() {}

    /** {@code count} and {@code noun}, with an "s" unless the count is one. */
    static String of(long count, String noun) {
        return count + " " + noun + (count == 1 ? "" : "s");
    }
}
