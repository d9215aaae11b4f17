#!/usr/bin/env bash
# meta-read.sh - how fast the catalog reads generation metadata from image files (MetaReader.read).
#
# Usage: bash bench/meta-read.sh        (from the project folder; compiles tests if needed)
# Two sets, each read for DURATION seconds on THREADS threads after a warm-up, page cache warm:
#   samples: the real samples of src/test/resources/catalog-samples (every format), copied COPIES times
#   outputs: N_PNG realistic A1111-style PNGs of 0.3-2 MB from ../shared/bench/gen_outputs.py
# Env knobs [defaults]:
#   SHARED_BENCH [../shared/bench next to the project]   the shared anchors and data generator
#   BENCH_DIR [$TMPDIR/lifeline-meta-bench]  scratch (never the repo)
#   COPIES [50] N_PNG [300] THREADS [2] DURATION [5] (seconds) STEALTH [false]
#   JAVA_OPTS [-XX:+UseSerialGC -Xmx256m]
# Results: printed, and $BENCH_DIR/results.txt
set -uo pipefail

PROJECT=$(cd "$(dirname "$0")/.." && pwd)
shared=${SHARED_BENCH:-$PROJECT/../shared/bench}
[ -d "$shared" ] || { echo "bench: $shared not found: it is ../shared/bench next to the project; set SHARED_BENCH to that folder" >&2; exit 2; }
GEN=${GEN:-$shared/gen_outputs.py}
COPIES=${COPIES:-50}; N_PNG=${N_PNG:-300}; THREADS=${THREADS:-2}; DURATION=${DURATION:-5}; STEALTH=${STEALTH:-false}
JAVA_OPTS=${JAVA_OPTS:-"-XX:+UseSerialGC -Xmx256m"}
B=${BENCH_DIR:-${TMPDIR:-/tmp}/lifeline-meta-bench}
case "$B" in "$PROJECT"*) echo "BENCH_DIR must be outside the project" >&2; exit 2;; esac

cd "$PROJECT" || exit 2
if [ ! -f target/test-classes/dev/lifeline/catalog/meta/MetaReadBench.class ] \
   || [ -n "$(find src/main/java/dev/lifeline/catalog/meta src/test/java/dev/lifeline/catalog/meta -newer target/test-classes/dev/lifeline/catalog/meta/MetaReadBench.class -name '*.java' | head -1)" ]; then
  mvn -B -q -o test-compile || { echo "bench: test-compile failed" >&2; exit 2; }
fi
mkdir -p "$B"
mvn -B -q -o dependency:build-classpath -Dmdep.outputFile="$B/cp.txt" >/dev/null || { echo "bench: cannot resolve the classpath" >&2; exit 2; }
CP="target/test-classes:target/classes:$(cat "$B/cp.txt")"

rm -rf "$B/samples"; mkdir -p "$B/samples"
for i in $(seq 1 "$COPIES"); do
  d="$B/samples/$i"; mkdir -p "$d"
  find src/test/resources/catalog-samples -type f ! -name '*.md' ! -name '*.tsv' -exec cp {} "$d/" \;
done
if [ ! -d "$B/outputs" ] || [ "$(find "$B/outputs" -type f | wc -l)" -ne "$N_PNG" ]; then
  rm -rf "$B/outputs"
  python3 "$GEN" --out "$B/outputs" --count "$N_PNG" --seed 1 >/dev/null 2>&1 || { echo "bench: $GEN failed" >&2; exit 2; }
fi

# shellcheck disable=SC2086
java $JAVA_OPTS -Dthreads="$THREADS" -Dseconds="$DURATION" -Dstealth="$STEALTH" -cp "$CP" \
  dev.lifeline.catalog.meta.MetaReadBench "$B/samples" "$B/outputs" | tee "$B/results.txt"
echo "machine: $(nproc) cores; $(java -version 2>&1 | head -1)" | tee -a "$B/results.txt"
