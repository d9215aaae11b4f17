package dev.lifeline.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The {@code backup:} section, parsed once and immutable.
 *
 * <p>Defaults: {@code schedule} 1h, {@code retention} keeps everything, no remote, no encryption,
 * {@code bandwidth} unlimited (0), {@code watch.quiet} 500ms, {@code watch.reconcile} 10m.
 *
 * @param repository the vault folder
 * @param sources folders to back up: each service's {@code outputs} plus {@code backup.sources}
 * @param exclude globs; a glob without {@code /} matches a file name at any depth
 * @param schedule how often a snapshot is cut while watching
 * @param bandwidth read cap in bytes per second while storing, 0 for none
 */
public record BackupSpec(
        Path repository,
        List<Path> sources,
        List<String> exclude,
        Retention retention,
        Duration schedule,
        Optional<S3Spec> s3,
        Optional<EncryptionSpec> encryption,
        long bandwidth,
        WatchSpec watch) {

    public static final Duration DEFAULT_SCHEDULE = Duration.ofHours(1);

    public BackupSpec {
        sources = List.copyOf(sources);
        exclude = List.copyOf(exclude);
    }

    /** A spec with defaults for everything but the repository and sources (tests, tools). */
    public static BackupSpec of(Path repository, List<Path> sources) {
        return new BackupSpec(
                repository,
                sources,
                List.of(),
                Retention.KEEP_ALL,
                DEFAULT_SCHEDULE,
                Optional.empty(),
                Optional.empty(),
                0,
                WatchSpec.DEFAULTS);
    }

    public BackupSpec withExclude(List<String> globs) {
        return new BackupSpec(repository, sources, globs, retention, schedule, s3, encryption, bandwidth, watch);
    }

    public BackupSpec withRetention(Retention r) {
        return new BackupSpec(repository, sources, exclude, r, schedule, s3, encryption, bandwidth, watch);
    }

    public BackupSpec withS3(S3Spec remote) {
        return new BackupSpec(
                repository, sources, exclude, retention, schedule, Optional.of(remote), encryption, bandwidth, watch);
    }

    public BackupSpec withEncryption(EncryptionSpec e) {
        return new BackupSpec(repository, sources, exclude, retention, schedule, s3, Optional.of(e), bandwidth, watch);
    }

    public BackupSpec withSchedule(Duration every, WatchSpec w) {
        return new BackupSpec(repository, sources, exclude, retention, every, s3, encryption, bandwidth, w);
    }

    public BackupSpec withRepository(Path repo) {
        return new BackupSpec(repo, sources, exclude, retention, schedule, s3, encryption, bandwidth, watch);
    }

    /**
     * How many snapshots to keep per kind; 0 means none of that kind. All zero keeps everything.
     */
    public record Retention(int last, int hourly, int daily, int weekly, int monthly) {
        public static final Retention KEEP_ALL = new Retention(0, 0, 0, 0, 0);

        public boolean keepsAll() {
            return last == 0 && hourly == 0 && daily == 0 && weekly == 0 && monthly == 0;
        }
    }

    /**
     * The S3-compatible mirror. Keys come from the environment or the AWS credential chain, never
     * from this file.
     *
     * @param endpoint empty for AWS itself
     * @param prefix key prefix, "" or ending in "/"
     */
    public record S3Spec(Optional<URI> endpoint, String region, String bucket, String prefix, boolean pathStyle) {}

    /** Where the passphrase comes from: an environment variable's name, or a command's stdout. */
    public record EncryptionSpec(Optional<String> passphraseEnv, Optional<String> passphraseCommand) {}

    /**
     * @param quiet how long a non-PNG file must stay unchanged before it is stored
     * @param reconcile how often a full scan catches what file events missed
     */
    public record WatchSpec(Duration quiet, Duration reconcile) {
        public static final WatchSpec DEFAULTS = new WatchSpec(Duration.ofMillis(500), Duration.ofMinutes(10));
    }

    static BackupSpec parse(ConfigNode n, Path base, Map<String, ServiceSpec> services) {
        n.allowOnly(Set.of(
                "repository",
                "sources",
                "exclude",
                "retention",
                "remote",
                "schedule",
                "encryption",
                "bandwidth",
                "watch"));
        Path repo = base.resolve(
                        ServiceSpec.expandHome(n.get("repository").required().asString()))
                .normalize();
        List<Path> sources = new ArrayList<>();
        for (ServiceSpec s : services.values()) {
            s.outputs().ifPresent(sources::add);
        }
        for (String s : n.get("sources").asStringList()) {
            Path p = base.resolve(ServiceSpec.expandHome(s)).normalize();
            if (!sources.contains(p)) {
                sources.add(p);
            }
        }
        for (Path s : sources) {
            if (repo.startsWith(s)) {
                throw n.get("repository")
                        .error(
                                "the repository " + repo + " lies inside the source " + s,
                                "put the repository outside every backed-up folder");
            }
        }
        List<String> exclude = n.get("exclude").asStringList();
        for (int i = 0; i < exclude.size(); i++) {
            if (exclude.get(i).isBlank()) {
                throw n.get("exclude").asList().get(i).error("an empty glob excludes nothing", "remove it");
            }
        }
        Duration schedule = n.get("schedule").asDuration(DEFAULT_SCHEDULE);
        if (schedule.compareTo(Duration.ofSeconds(1)) < 0) {
            throw n.get("schedule").error("a snapshot interval under 1s is too short", "use 1m or more, such as 1h");
        }
        long bandwidth = n.get("bandwidth").asSize(0);
        return new BackupSpec(
                repo,
                sources,
                exclude,
                parseRetention(n.get("retention")),
                schedule,
                parseRemote(n.get("remote")),
                parseEncryption(n.get("encryption")),
                bandwidth,
                parseWatch(n.get("watch")));
    }

    private static Retention parseRetention(ConfigNode r) {
        if (!r.isPresent()) {
            return Retention.KEEP_ALL;
        }
        r.allowOnly(Set.of("last", "hourly", "daily", "weekly", "monthly"));
        int max = 100_000;
        Retention out = new Retention(
                r.get("last").asInt(0, max, 0),
                r.get("hourly").asInt(0, max, 0),
                r.get("daily").asInt(0, max, 0),
                r.get("weekly").asInt(0, max, 0),
                r.get("monthly").asInt(0, max, 0));
        if (out.keepsAll()) {
            throw r.error(
                    "every count is 0, which would keep nothing",
                    "set at least one of last, hourly, daily, weekly, monthly, or remove 'retention' to keep all");
        }
        return out;
    }

    private static Optional<S3Spec> parseRemote(ConfigNode r) {
        if (!r.isPresent()) {
            return Optional.empty();
        }
        r.allowOnly(Set.of("s3"));
        ConfigNode s = r.get("s3").required();
        s.allowOnly(Set.of("endpoint", "region", "bucket", "prefix", "path-style"));
        Optional<URI> endpoint = Optional.empty();
        if (s.get("endpoint").isPresent()) {
            String text = s.get("endpoint").asString().trim();
            try {
                URI u = new URI(text);
                if (u.getScheme() == null
                        || !(u.getScheme().equals("http") || u.getScheme().equals("https"))
                        || u.getHost() == null) {
                    throw s.get("endpoint")
                            .error("'" + text + "' is not an http(s) URL", "write it like https://s3.example.com");
                }
                if (u.getUserInfo() != null) {
                    throw s.get("endpoint")
                            .error(
                                    "the endpoint must not carry credentials",
                                    "remove them; keys come from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or the AWS credential chain");
                }
                endpoint = Optional.of(u);
            } catch (URISyntaxException e) {
                throw s.get("endpoint").error("'" + text + "' is not a URL", "write it like https://s3.example.com");
            }
        }
        String bucket = s.get("bucket").required().asString().trim();
        if (!bucket.matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")) {
            throw s.get("bucket")
                    .error(
                            "'" + bucket + "' is not a valid bucket name",
                            "use 3-63 lowercase letters, digits, dots and dashes");
        }
        String prefix = s.get("prefix").asString("").trim();
        if (prefix.startsWith("/")) {
            throw s.get("prefix").error("a key prefix must not start with '/'", "write it like host-a/");
        }
        if (!prefix.isEmpty() && !prefix.endsWith("/")) {
            prefix = prefix + "/";
        }
        String region = s.get("region").asString("us-east-1").trim();
        boolean pathStyle = s.get("path-style").asBoolean(endpoint.isPresent());
        return Optional.of(new S3Spec(endpoint, region, bucket, prefix, pathStyle));
    }

    private static Optional<EncryptionSpec> parseEncryption(ConfigNode e) {
        if (!e.isPresent()) {
            return Optional.empty();
        }
        e.allowOnly(Set.of("passphrase-env", "passphrase-command"));
        Optional<String> env = e.has("passphrase-env")
                ? Optional.of(e.get("passphrase-env").asString().trim())
                : Optional.empty();
        Optional<String> cmd = e.has("passphrase-command")
                ? Optional.of(e.get("passphrase-command").asString().trim())
                : Optional.empty();
        if (env.isPresent() == cmd.isPresent()) {
            throw e.error(
                    "needs exactly one of passphrase-env or passphrase-command",
                    "for example: encryption: { passphrase-env: LIFELINE_VAULT_PASSPHRASE }");
        }
        if (env.isPresent() && !env.get().matches("[A-Za-z_][A-Za-z0-9_]*")) {
            throw e.get("passphrase-env")
                    .error(
                            "'" + env.get() + "' is not an environment variable name",
                            "give the variable's name, never the passphrase itself");
        }
        return Optional.of(new EncryptionSpec(env, cmd));
    }

    private static WatchSpec parseWatch(ConfigNode w) {
        if (!w.isPresent()) {
            return WatchSpec.DEFAULTS;
        }
        w.allowOnly(Set.of("quiet", "reconcile"));
        Duration quiet = w.get("quiet").asDuration(WatchSpec.DEFAULTS.quiet());
        if (quiet.compareTo(Duration.ofMinutes(10)) > 0) {
            throw w.get("quiet").error("a quiet period over 10m would leave files unprotected", "use 200ms to 10s");
        }
        Duration reconcile = w.get("reconcile").asDuration(WatchSpec.DEFAULTS.reconcile());
        if (reconcile.compareTo(Duration.ofSeconds(1)) < 0) {
            throw w.get("reconcile").error("a reconcile interval under 1s is too short", "use 1m or more");
        }
        return new WatchSpec(quiet, reconcile);
    }
}
