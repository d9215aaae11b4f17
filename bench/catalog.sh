#!/usr/bin/env bash
# catalog.sh - the catalog's index speed from a real vault, and search at 1,000,000 rows: FTS5
# (free words + two filters) side by side with the anchors' method (LIKE '%word%' over the same
# rows, in the same SQLite, in the same run).
#
# Usage: bash bench/catalog.sh     (from the project folder; needs target/classes and target/test-classes:
#                                   mvn -B -o -q test-compile)
# Env knobs [defaults]:
#   SHARED_BENCH [../shared/bench next to the project]  the shared anchors (checked like the other scripts)
#   BENCH_DIR [$TMPDIR/lifeline-catalog-bench]  scratch: outputs, the vault, the synthetic catalog
#   N_FILES [20000]  generated images (a third each: A1111 PNG, ComfyUI PNG, Forge JPEG)
#   INDEX_RUNS [3]   rebuilds of the vault's catalog
#   ROWS [1000000] QUERIES [200]  the synthetic catalog (built once, kept in BENCH_DIR) and its queries
#   JAVA_OPTS [-Xmx768m]
# Until catalog.meta.MetaReader reads these files, the index case uses the benchmark's stand-in
# reader (CatalogBench.StandIn, header chunks only) and says so in its result ("reader").
# Results: $BENCH_DIR/results/*.json (one JSON object a line)
set -uo pipefail

PROJECT=$(cd "$(dirname "$0")/.." && pwd)
shared=${SHARED_BENCH:-$PROJECT/../shared/bench}
[ -d "$shared" ] || { echo "bench: $shared not found: it is ../shared/bench next to the project; set SHARED_BENCH to that folder" >&2; exit 2; }
N_FILES=${N_FILES:-20000}; INDEX_RUNS=${INDEX_RUNS:-3}; ROWS=${ROWS:-1000000}; QUERIES=${QUERIES:-200}
JAVA_OPTS=${JAVA_OPTS:-"-Xmx768m"}
B=${BENCH_DIR:-${TMPDIR:-/tmp}/lifeline-catalog-bench}
case "$B" in "$PROJECT"*) echo "BENCH_DIR must be outside the project" >&2; exit 2;; esac
[ -d "$PROJECT/target/test-classes/dev/lifeline/catalog" ] || { echo "build first: mvn -B -o -q test-compile" >&2; exit 2; }
command -v python3 >/dev/null || { echo "missing python3" >&2; exit 2; }

OUT=$B/results; mkdir -p "$OUT"
log() { echo "[$(date +%T)] $*" | tee -a "$OUT/log.txt"; }
if [ ! -s "$B/cp.txt" ] || [ "$PROJECT/pom.xml" -nt "$B/cp.txt" ]; then
  (cd "$PROJECT" && mvn -B -o -q dependency:build-classpath -Dmdep.outputFile="$B/cp.txt" >/dev/null) || { echo "cannot resolve the classpath (mvn -o)" >&2; exit 2; }
fi
CP=$PROJECT/target/classes:$PROJECT/target/test-classes:$(cat "$B/cp.txt")
run() { java $JAVA_OPTS -cp "$CP" "$@"; }

log "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
if [ ! -f "$B/outputs.done" ] || [ "$(cat "$B/outputs.done")" != "$N_FILES" ]; then
  rm -rf "$B/outputs" "$B/repo"
  log "generating $N_FILES images"
  python3 "$PROJECT/bench/gen_catalog.py" --out "$B/outputs" --count "$N_FILES" --seed 1 || exit 1
  printf 'backup:\n  repository: %s\n  sources: [%s]\n' "$B/repo" "$B/outputs" > "$B/lifeline.yaml"
  run dev.lifeline.cli.Main -c "$B/lifeline.yaml" backup now -q --no-push | tee -a "$OUT/log.txt" || exit 1
  echo "$N_FILES" > "$B/outputs.done"
fi

: > "$OUT/index.json"
for i in $(seq 1 "$INDEX_RUNS"); do
  log "index run $i"
  run dev.lifeline.catalog.CatalogBench index "$B/repo" | tee -a "$OUT/index.json"
done

log "search: $ROWS rows, $QUERIES queries (the catalog is built once and kept)"
run dev.lifeline.catalog.CatalogBench search "$B/search-$ROWS" "$ROWS" "$QUERIES" | tee "$OUT/search.json"
log "done: $OUT"
