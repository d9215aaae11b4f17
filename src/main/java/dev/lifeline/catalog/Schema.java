package dev.lifeline.catalog;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * The catalog's tables (format {@value #VERSION}, see docs/catalog.md): {@code images} (one row
 * per content), {@code raw}, {@code loras}, {@code snapshots}, {@code paths} (one row per path
 * and span of snapshots) and the contentless FTS5 table {@code fts}. A database of another format
 * is dropped and made again: the index is a cache of the repository.
 */
final class Schema {
    static final int VERSION = 1;

    private Schema() {}

    /** The format of the database on {@code conn}; 0 when it has no tables yet. */
    static int version(Connection conn) throws SQLException {
        try (Statement s = conn.createStatement();
                ResultSet r = s.executeQuery(
                        "SELECT value FROM meta WHERE key = 'schema' AND EXISTS (SELECT 1 FROM sqlite_master WHERE"
                                + " name = 'meta')")) {
            return r.next() ? Integer.parseInt(r.getString(1)) : 0;
        } catch (SQLException e) {
            if (String.valueOf(e.getMessage()).contains("no such table")) {
                return 0;
            }
            throw e;
        }
    }

    /** Makes the tables of this format, in one transaction, unless they are there. */
    static void ensure(Connection conn) throws SQLException {
        int v = version(conn);
        if (v == VERSION) {
            return;
        }
        try (Statement s = conn.createStatement()) {
            conn.setAutoCommit(false);
            if (v != 0) {
                // another format: the index is a cache, so it is made again
                for (String t : List.of("fts", "loras", "paths", "raw", "images", "snapshots", "meta")) {
                    s.execute("DROP TABLE IF EXISTS " + t);
                }
            }
            s.execute("CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT)");
            s.execute("CREATE TABLE IF NOT EXISTS images("
                    + "id INTEGER PRIMARY KEY, sha256 TEXT NOT NULL UNIQUE, tool TEXT, prompt TEXT, negative TEXT,"
                    + " seed INTEGER, steps INTEGER, cfg REAL, sampler TEXT, scheduler TEXT, model TEXT,"
                    + " model_hash TEXT, width INTEGER, height INTEGER, first_seen INTEGER NOT NULL)");
            // the raw metadata (a ComfyUI graph is kilobytes) apart, so image rows stay small for the
            // filter lookups a search does on every FTS match
            s.execute("CREATE TABLE IF NOT EXISTS raw(id INTEGER PRIMARY KEY, text TEXT)");
            s.execute("CREATE INDEX IF NOT EXISTS images_first_seen ON images(first_seen)");
            s.execute("CREATE INDEX IF NOT EXISTS images_seed ON images(seed)");
            s.execute("CREATE INDEX IF NOT EXISTS images_steps ON images(steps)");
            s.execute("CREATE INDEX IF NOT EXISTS images_sampler ON images(sampler COLLATE NOCASE)");
            s.execute("CREATE INDEX IF NOT EXISTS images_model ON images(model)");
            s.execute("CREATE TABLE IF NOT EXISTS loras(image_id INTEGER NOT NULL, name TEXT NOT NULL, weight REAL)");
            s.execute("CREATE INDEX IF NOT EXISTS loras_image ON loras(image_id)");
            s.execute("CREATE TABLE IF NOT EXISTS snapshots(seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,"
                    + " time INTEGER NOT NULL)");
            // first_seq/last_seq null: only in the journal so far (stored since the last snapshot)
            s.execute("CREATE TABLE IF NOT EXISTS paths(image_id INTEGER NOT NULL, path TEXT NOT NULL,"
                    + " first_seq INTEGER, last_seq INTEGER, live INTEGER NOT NULL DEFAULT 0)");
            s.execute("CREATE INDEX IF NOT EXISTS paths_image ON paths(image_id)");
            s.execute("CREATE INDEX IF NOT EXISTS paths_path ON paths(path, image_id)");
            s.execute("CREATE INDEX IF NOT EXISTS paths_last ON paths(last_seq)");
            // Contentless (the text lives once, in images) with deletes by rowid: no triggers to keep
            // in step, no 'delete' command that must repeat the old values exactly.
            s.execute("CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(prompt, negative, model, loras,"
                    + " content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 2')");
            s.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('schema', '" + VERSION + "')");
            conn.commit();
        } catch (SQLException e) {
            conn.rollback();
            throw e;
        } finally {
            conn.setAutoCommit(true);
        }
    }
}
