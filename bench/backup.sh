#!/usr/bin/env bash
# backup.sh - Lifeline's vault side by side with restic and rsync, in one run, on the same data.
#
# Usage: bash bench/backup.sh                (from the project folder; build target/lifeline.jar first)
# Env knobs [defaults]:
#   SHARED_BENCH [../shared/bench next to the project]  the shared anchors and data generator
#   BENCH_DIR [$TMPDIR/lifeline-backup-bench]  scratch: datasets, repos, results (never the repo)
#   N_PNG [1500] N_NEW [50] N_TINY [100000] N_WATCH [200] SEED [1]
#   RUNS_HEAVY [3] RUNS_LIGHT [5]   hyperfine runs for full backups/restores/verify, and for rescans
#   CASES ["initial rescan incr restore verify tiny watch"]
#   JAVA_OPTS [-XX:+UseSerialGC -XX:SharedArchiveFile=$BENCH_DIR/lifeline.jsa]  flags for the Lifeline JVM
#             (an AppCDS archive made by the first run: JVM start-up is most of a no-change rescan)
#   NO_CDS [0]  1 to measure without the class-data archive
# Every command that writes data ends with `sync` (restic and Lifeline fsync themselves; rsync does not).
# Needs: java, python3, hyperfine, restic, rsync, sha256sum.
# Results: $BENCH_DIR/results/*.json and $BENCH_DIR/results/table.md
set -uo pipefail

PROJECT=$(cd "$(dirname "$0")/.." && pwd)
shared=${SHARED_BENCH:-$PROJECT/../shared/bench}
[ -d "$shared" ] || { echo "bench: $shared not found: it is ../shared/bench next to the project; set SHARED_BENCH to that folder" >&2; exit 2; }
GEN=${GEN:-$shared/gen_outputs.py}
N_PNG=${N_PNG:-1500}; N_NEW=${N_NEW:-50}; N_TINY=${N_TINY:-100000}; N_WATCH=${N_WATCH:-200}; SEED=${SEED:-1}
RUNS_HEAVY=${RUNS_HEAVY:-3}; RUNS_LIGHT=${RUNS_LIGHT:-5}
CASES=${CASES:-"initial rescan incr restore verify tiny watch"}
B=${BENCH_DIR:-${TMPDIR:-/tmp}/lifeline-backup-bench}
if [ "${NO_CDS:-0}" = 1 ]; then JAVA_OPTS=${JAVA_OPTS:-"-XX:+UseSerialGC"}
else JAVA_OPTS=${JAVA_OPTS:-"-XX:+UseSerialGC -XX:SharedArchiveFile=$B/lifeline.jsa"}; fi

case "$B" in "$PROJECT"*) echo "BENCH_DIR must be outside the project" >&2; exit 2;; esac
if [ -x "$PROJECT/lifeline" ]; then L="$PROJECT/lifeline"
elif [ -f "$PROJECT/target/lifeline.jar" ]; then L="java $JAVA_OPTS -jar $PROJECT/target/lifeline.jar"
else echo "build first: mvn -B -q -o package -DskipTests" >&2; exit 2; fi
if [ ! -x "$PROJECT/lifeline" ] && [ "${NO_CDS:-0}" != 1 ] && { [ ! -f "$B/lifeline.jsa" ] || [ "$PROJECT/target/lifeline.jar" -nt "$B/lifeline.jsa" ]; }; then
  mkdir -p "$B"; rm -f "$B/lifeline.jsa"   # AppCDS: record the classes a backup run loads, once per build
  mkdir -p "$B/cds-src"; printf 'x' > "$B/cds-src/a.txt"
  printf 'backup:\n  repository: %s\n  sources: [%s]\n' "$B/cds-repo" "$B/cds-src" > "$B/cds.yaml"
  java -XX:ArchiveClassesAtExit="$B/lifeline.jsa" -jar "$PROJECT/target/lifeline.jar" -c "$B/cds.yaml" backup now -q >/dev/null 2>&1
  rm -rf "$B/cds-src" "$B/cds-repo" "$B/cds.yaml"
fi
for t in hyperfine restic rsync python3 sha256sum; do
  command -v $t >/dev/null || { echo "missing $t (apt-get install -y restic rsync hyperfine)" >&2; exit 2; }
done

DATA=$B/data; TINY=$B/tiny; OUT=$B/results; CMD=$B/cmds
export RESTIC_PASSWORD=bench-password RESTIC_CACHE_DIR=$B/restic-cache
mkdir -p "$OUT" "$CMD"; rm -f "$OUT"/*.json "$OUT"/*.meta "$OUT/failures.txt"
log() { echo "[$(date +%T)] $*" | tee -a "$OUT/log.txt"; }

# ------------------------------------------------------------------ data (markers outside the data)
if [ ! -f "$B/.data.ok" ]; then
  log "generating $N_PNG PNGs"; rm -rf "$DATA"
  python3 "$GEN" --out "$DATA" --count "$N_PNG" --seed "$SEED" --date-subdirs && touch "$B/.data.ok"
fi
for k in 1 2 3; do
  if [ ! -f "$B/.new$k.ok" ]; then
    rm -rf "$B/new$k"
    python3 "$GEN" --out "$B/new$k" --count "$N_NEW" --start-index $((N_PNG + N_NEW*(k-1))) --seed "$SEED" --date-subdirs && touch "$B/.new$k.ok"
  fi
done
if [ ! -f "$B/.tiny.ok" ]; then
  log "generating $N_TINY tiny PNGs"; rm -rf "$TINY"
  python3 "$GEN" --out "$TINY" --count 0 --tiny "$N_TINY" --seed $((SEED+1)) && touch "$B/.tiny.ok"
fi
bytes_of() { find "$1" -type f -printf '%s\n' | awk '{s+=$1} END {print s+0}'; }
files_of() { find "$1" -type f | wc -l; }

cfg() { # cfg NAME REPO SOURCE -> config path
  mkdir -p "$B/cfg"; printf 'backup:\n  repository: %s\n  sources: [%s]\n' "$2" "$3" > "$B/cfg/$1.yaml"; echo "$B/cfg/$1.yaml"
}
C_MAIN=$(cfg main "$B/repo-lifeline" "$DATA"); C_TINY=$(cfg tiny "$B/tiny-repo-lifeline" "$TINY")

bench() { # bench TOOL CASE RUNS BYTES FILES PREPARE COMMAND
  local tool=$1 case=$2 runs=$3 bytes=$4 files=$5 prep=$6 cmd=$7 id
  id="${case}__${tool}"; id=${id//[^A-Za-z0-9_.+-]/_}
  printf 'set -e\n%s\n' "${prep:-true}" > "$CMD/$id.prep.sh"; printf 'set -e\n%s\n' "$cmd" > "$CMD/$id.sh"
  printf '%s\t%s\t%s\t%s\t%s\n' "$tool" "$case" "$bytes" "$files" "$runs" > "$OUT/$id.meta"
  log "bench $case / $tool (runs=$runs)"
  hyperfine --style basic --runs "$runs" --prepare "bash $CMD/$id.prep.sh" --export-json "$OUT/$id.json" \
    "bash $CMD/$id.sh" >> "$OUT/hyperfine.log" 2>&1 || { log "FAILED: $case / $tool"; echo "$id" >> "$OUT/failures.txt"; }
}

case_initial() {
  local by fi; by=$(bytes_of "$DATA"); fi=$(files_of "$DATA")
  bench "ref: cp -r + sync" initial "$RUNS_HEAVY" "$by" "$fi" "rm -rf $B/dst-cp; sync" "cp -r $DATA $B/dst-cp; sync"
  bench "ref: openssl sha256 (1 core)" initial "$RUNS_LIGHT" "$by" "$fi" "" "find $DATA -type f -print0 | xargs -0 openssl sha256 > /dev/null"
  bench "rsync -a" initial "$RUNS_HEAVY" "$by" "$fi" "rm -rf $B/dst-rsync; sync" "rsync -a $DATA/ $B/dst-rsync/; sync"
  bench "restic backup" initial "$RUNS_HEAVY" "$by" "$fi" \
    "rm -rf $B/repo-restic $RESTIC_CACHE_DIR; restic init -q -r $B/repo-restic >/dev/null; sync" "restic -q -r $B/repo-restic backup $DATA; sync"
  bench "lifeline backup now" initial "$RUNS_HEAVY" "$by" "$fi" "rm -rf $B/repo-lifeline; sync" "$L -c $C_MAIN backup now -q; sync"
  (cd "$DATA" && find . -type f -print0 | sort -z | xargs -0 sha256sum > "$B/manifest.sha256")
}

case_rescan() {
  local fi; fi=$(files_of "$DATA")
  bench "ref: find -printf" rescan "$RUNS_LIGHT" 0 "$fi" "" "find $DATA -type f -printf '%s %T@\n' > /dev/null"
  bench "rsync -a" rescan "$RUNS_LIGHT" 0 "$fi" "" "rsync -a $DATA/ $B/dst-rsync/"
  bench "restic backup" rescan "$RUNS_LIGHT" 0 "$fi" "" "restic -q -r $B/repo-restic backup $DATA"
  bench "lifeline backup now" rescan "$RUNS_LIGHT" 0 "$fi" "" "$L -c $C_MAIN backup now -q"
}

case_incr() {   # each run adds a fresh batch of N_NEW files; batches removed between tools
  local by; by=$(( ($(bytes_of "$B/new1") + $(bytes_of "$B/new2") + $(bytes_of "$B/new3")) / 3 ))
  reset_data() { for k in 1 2 3; do (cd "$B/new$k" && find . -type f -print0) | (cd "$DATA" && xargs -0 rm -f); done; sync; }
  local add="k=\$((\$(cat $B/ctr) + 1)); echo \$k > $B/ctr; cp -a $B/new\$k/. $DATA/; sync"
  local t tools=("rsync -a|rsync -a $DATA/ $B/dst-rsync/; sync"
                 "restic backup|restic -q -r $B/repo-restic backup $DATA; sync"
                 "lifeline backup now|$L -c $C_MAIN backup now -q; sync")
  for t in "${tools[@]}"; do
    reset_data; echo 0 > "$B/ctr"
    bench "${t%%|*}" "incr+$N_NEW" 3 "$by" "$N_NEW" "$add" "${t#*|}"
  done
  reset_data
  $L -c "$C_MAIN" backup now -q >/dev/null   # latest snapshot = the plain dataset again
  restic -q -r "$B/repo-restic" backup "$DATA" >/dev/null
}

case_restore() {
  local by fi; by=$(bytes_of "$DATA"); fi=$(files_of "$DATA")
  bench "rsync -a (back)" restore "$RUNS_HEAVY" "$by" "$fi" "rm -rf $B/back-rsync; sync" "rsync -a $B/dst-rsync/ $B/back-rsync/; sync"
  bench "restic restore" restore "$RUNS_HEAVY" "$by" "$fi" "rm -rf $B/back-restic; sync" "restic -q -r $B/repo-restic restore latest --target $B/back-restic; sync"
  bench "lifeline backup restore" restore "$RUNS_HEAVY" "$by" "$fi" "rm -rf $B/back-lifeline; sync" "$L -c $C_MAIN backup restore latest --to $B/back-lifeline; sync"
  for t in "$B/back-restic$DATA" "$B/back-rsync" "$B/back-lifeline/$(basename "$DATA")"; do
    if (cd "$t" && sha256sum -c --quiet "$B/manifest.sha256" >/dev/null 2>&1); then log "restore verified with sha256sum: $t"
    else log "RESTORE MISMATCH: $t"; echo "restore $t" >> "$OUT/failures.txt"; fi
  done
}

case_verify() {
  local by fi; by=$(bytes_of "$DATA"); fi=$(files_of "$DATA")
  bench "sha256sum -c (rsync copy)" verify "$RUNS_HEAVY" "$by" "$fi" "" "cd $B/dst-rsync && sha256sum -c --quiet $B/manifest.sha256"
  bench "restic check --read-data" verify "$RUNS_HEAVY" "$by" "$fi" "" "restic -q -r $B/repo-restic check --read-data"
  bench "lifeline backup verify --read-data" verify "$RUNS_HEAVY" "$by" "$fi" "" "$L -c $C_MAIN backup verify --read-data"
}

case_tiny() {
  local by fi; by=$(bytes_of "$TINY"); fi=$(files_of "$TINY")
  bench "rsync -a" tiny-initial 1 "$by" "$fi" "rm -rf $B/tiny-dst-rsync; sync" "rsync -a $TINY/ $B/tiny-dst-rsync/; sync"
  bench "restic backup" tiny-initial 1 "$by" "$fi" "rm -rf $B/tiny-repo-restic; restic init -q -r $B/tiny-repo-restic >/dev/null; sync" "restic -q -r $B/tiny-repo-restic backup $TINY; sync"
  bench "lifeline backup now" tiny-initial 1 "$by" "$fi" "rm -rf $B/tiny-repo-lifeline; sync" "$L -c $C_TINY backup now -q; sync"
  bench "ref: find -printf" tiny-rescan "$RUNS_LIGHT" 0 "$fi" "" "find $TINY -type f -printf '%s %T@\n' > /dev/null"
  bench "rsync -a" tiny-rescan "$RUNS_LIGHT" 0 "$fi" "" "rsync -a $TINY/ $B/tiny-dst-rsync/"
  bench "restic backup" tiny-rescan "$RUNS_LIGHT" 0 "$fi" "" "restic -q -r $B/tiny-repo-restic backup $TINY"
  bench "lifeline backup now" tiny-rescan "$RUNS_LIGHT" 0 "$fi" "" "$L -c $C_TINY backup now -q"
}

case_watch() {   # file closed -> object durable, through `lifeline backup watch`
  local W=$B/watch; rm -rf "$W"; mkdir -p "$W/src"
  local C; C=$(cfg watch "$W/repo" "$W/src")
  log "watch latency over $N_WATCH files"
  $L -c "$C" backup watch > "$W/watch.log" 2> "$W/watch.err" &
  local pid=$!
  for _ in $(seq 100); do grep -q "watching" "$W/watch.err" 2>/dev/null && break; sleep 0.1; done
  python3 "$(dirname "$0")/watch_latency.py" --pngs "$DATA" --into "$W/src" --log "$W/watch.log" --count "$N_WATCH" \
    | tee "$OUT/watch.txt" | tee -a "$OUT/log.txt"
  kill "$pid"; wait "$pid" 2>/dev/null
}

summarize() {
  python3 - "$OUT" > "$OUT/table.md" <<'PY'
import glob, json, os, sys
out = sys.argv[1]; rows = []
order = ["initial", "rescan", "incr", "restore", "verify", "tiny-initial", "tiny-rescan"]
for meta in glob.glob(os.path.join(out, "*.meta")):
    tool, case, by, fi, runs = open(meta).read().rstrip("\n").split("\t")
    try:
        r = json.load(open(meta[:-5] + ".json"))["results"][0]
    except Exception:
        rows.append((case, tool, "FAILED", "", "", "")); continue
    med = r["median"]; by = int(by); fi = int(fi)
    rng = f'{r["min"]:.2f}–{r["max"]:.2f}' if int(runs) > 1 else "1 run"
    rows.append((case, tool, f"{med:.2f}", rng, f"{by/1e6/med:.0f}" if by else "–", f"{fi/med:,.0f}"))
rows.sort(key=lambda r: (next((i for i, o in enumerate(order) if r[0].startswith(o) and (o != "tiny-initial" or True)), 99) if r[0] not in ("tiny-initial", "tiny-rescan") else order.index(r[0]), r[0], r[1]))
print("| case | tool | wall median s | range s | MB/s | files/s |")
print("|---|---|---|---|---|---|")
for r in rows: print("| " + " | ".join(r) + " |")
w = os.path.join(out, "watch.txt")
if os.path.exists(w): print("\nwatch latency (file closed → object durable): " + open(w).read().strip())
PY
  cat "$OUT/table.md"
}

log "bench dir=$B cases='$CASES' lifeline='$L'"
{ restic version; rsync --version | head -1; hyperfine --version; java -version 2>&1 | head -1; } > "$OUT/versions.txt" 2>&1
log "dataset: $(files_of "$DATA") files, $(bytes_of "$DATA") bytes; tiny: $(files_of "$TINY") files"
for c in $CASES; do "case_$c"; done
summarize
log "done"
