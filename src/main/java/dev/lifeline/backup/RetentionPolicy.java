package dev.lifeline.backup;

import dev.lifeline.config.BackupSpec.Retention;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.IsoFields;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * Which snapshots to keep: the newest {@code last}, and the newest of each of the latest
 * {@code hourly} hours, {@code daily} days, {@code weekly} ISO weeks and {@code monthly} months
 * (UTC), as restic's {@code forget} does. Keeping everything when no count is set.
 */
final class RetentionPolicy {
    private RetentionPolicy() {}

    static Set<String> keep(List<Snapshot> snapshots, Retention r) {
        List<Snapshot> newest = new ArrayList<>(snapshots);
        newest.sort(
                Comparator.comparing(Snapshot::time).thenComparing(Snapshot::id).reversed());
        Set<String> keep = new LinkedHashSet<>();
        if (r.keepsAll()) {
            newest.forEach(s -> keep.add(s.id()));
            return keep;
        }
        for (int i = 0; i < Math.min(r.last(), newest.size()); i++) {
            keep.add(newest.get(i).id());
        }
        bucket(newest, r.hourly(), t -> t.getYear() + "-" + t.getDayOfYear() + "-" + t.getHour(), keep);
        bucket(newest, r.daily(), t -> t.getYear() + "-" + t.getDayOfYear(), keep);
        bucket(
                newest,
                r.weekly(),
                t -> t.get(IsoFields.WEEK_BASED_YEAR) + "-w" + t.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR),
                keep);
        bucket(newest, r.monthly(), t -> t.getYear() + "-" + t.getMonthValue(), keep);
        return keep;
    }

    private static void bucket(
            List<Snapshot> newest, int count, Function<ZonedDateTime, String> key, Set<String> keep) {
        Set<String> seen = new HashSet<>();
        for (Snapshot s : newest) {
            if (seen.size() >= count) {
                return;
            }
            if (seen.add(key.apply(s.time().atZone(ZoneOffset.UTC)))) {
                keep.add(s.id());
            }
        }
    }
}
