#!/usr/bin/env bash
# Supervisor benchmark: Lifeline side by side with supervisord and pm2 (run in the same session by
# ../shared/bench/supervisor_anchors.sh), on the same stand-in model app (fake_webui.py).
#
#   bench/supervisor.sh [--install] [--no-anchors]    env: LOAD_SECONDS=5 REPS=5 CRASH_WINDOW=30
#   SHARED_BENCH (default: ../shared/bench next to the project)
#
# Measures: relaunch after kill -9 (exit -> new process), port answering again minus the load time,
# orphaned workers, daemon idle RSS, `status` wall time (hyperfine), stop leaving nothing, crash loop.
# Scratch goes to $TMPDIR/lifeline-bench; only 127.0.0.1 is used; every process started is stopped.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
shared=${SHARED_BENCH:-$here/../shared/bench}
[ -d "$shared" ] || { echo "bench: $shared not found: it is ../shared/bench next to the project; set SHARED_BENCH to that folder" >&2; exit 2; }
PY=/usr/bin/python3
PROBE="$PY $shared/lib/probe.py"
LOAD=${LOAD_SECONDS:-5}
REPS=${REPS:-5}
CRASH_WINDOW=${CRASH_WINDOW:-30}
PORT=7860
URL=http://127.0.0.1:$PORT/healthz
W=${TMPDIR:-/tmp}/lifeline-bench
export LIFELINE_HOME=$W/home
L="$here/lifeline"
out=$W/supervisor_results.txt

if [ "${1:-}" = "--install" ]; then
  shift
  apt-get update -qq && apt-get install -y -qq supervisor hyperfine procps bc python3 >/dev/null
  command -v pm2 >/dev/null || npm install -g pm2 >/dev/null 2>&1
fi
for t in hyperfine bc; do command -v $t >/dev/null || { echo "missing $t: run with --install" >&2; exit 1; }; done

rm -rf "$W"; mkdir -p "$W"/{sd,sd_crash,project}
say() { echo "$*" | tee -a "$out"; }
median() { sort -g | awk '{a[NR]=$1} END{ if(NR%2) print a[(NR+1)/2]; else printf "%.3f\n",(a[NR/2]+a[NR/2+1])/2 }'; }

(cd "$here" && [ -f target/lifeline.jar ] || mvn -B -q -DskipTests package)

cat > "$W/project/lifeline.yaml" <<YAML
services:
  webui:
    command: ["$PY", "$shared/fake_webui.py"]
    env: { LOAD_SECONDS: "$LOAD", WORKERS: "2", STATE_DIR: "$W/sd", PORT: "$PORT" }
    port: $PORT
    ready: { http: /healthz, timeout: 2m }
    health: { http: /healthz, every: 1s, failures: 3 }
    stop: { signal: TERM, timeout: 5s }
  crash:
    command: ["$PY", "$shared/fake_webui.py"]
    env: { CRASH: "1", STATE_DIR: "$W/sd_crash" }
YAML
cd "$W/project"

say "=== Lifeline $(cd "$here" && git rev-parse --short HEAD 2>/dev/null) on $(nproc) cores, $(date -u +%FT%TZ), LOAD_SECONDS=$LOAD REPS=$REPS, load avg $(cut -d' ' -f1-3 /proc/loadavg)"
"$L" up webui >/dev/null || { echo "lifeline up failed" >&2; exit 1; }
dpid=$(cat "$LIFELINE_HOME/daemon.pid")
sleep 3
say "(i) idle RSS lifeline daemon: $(ps -o rss= -p "$dpid") KiB"

# Kill only once Lifeline itself has seen the app ready: a crash before that counts as a crash
# during loading and is restarted after the backoff (by design), which is not what is measured.
wait_lifeline_ready() {
  for _ in $(seq 1 200); do "$L" status --json | grep -q '"state" : "ready"' && return 0; sleep 0.05; done
}
relaunch=(); answer=()
for i in $(seq 1 "$REPS"); do
  $PROBE waithttp $URL --timeout 60 >/dev/null
  wait_lifeline_ready
  pid=$(cat "$LIFELINE_HOME/run/webui.pid")
  # kill -9, then relaunch = the new process's start time (from /proc, 10 ms ticks) minus the kill
  # time, read off the pid file Lifeline rewrites at launch
  r=$($PY - "$pid" "$LIFELINE_HOME/run/webui.pid" <<'PYEOF'
import os, signal, sys, time
pid, f = int(sys.argv[1]), sys.argv[2]
boot = lambda: time.clock_gettime(time.CLOCK_BOOTTIME)
t0m = time.monotonic(); t0b = boot(); os.kill(pid, signal.SIGKILL)
new = None
while new is None and time.monotonic() - t0m < 10:
    try:
        s = open(f).read().strip()
        if s and int(s) != pid: new = int(s)
    except (OSError, ValueError): pass
    time.sleep(0.001)
start = int(open("/proc/%d/stat" % new).read().rsplit(")", 1)[1].split()[19]) / os.sysconf("SC_CLK_TCK")
print("%.3f" % (start - t0b))
PYEOF
)
  relaunch+=("$r")
  say "  rep $i: killed pid $pid; relaunched after ${r}s"
done
for i in $(seq 1 "$REPS"); do
  # kill -9 until the port answers HTTP 200 again: the anchors' own probe, so the figures compare
  $PROBE waithttp $URL --timeout 60 >/dev/null
  wait_lifeline_ready
  pid=$(cat "$LIFELINE_HOME/run/webui.pid")
  t=$($PROBE killwait "$pid" "$URL" --interval 0.02 --timeout 90)
  answer+=("$(echo "$t - $LOAD" | bc)")
  say "  rep $i: killed pid $pid, port answered after ${t}s total"
done
say "(ii) lifeline relaunch after kill -9 (s): ${relaunch[*]} median=$(printf '%s\n' "${relaunch[@]}" | median)"
say "(ii) lifeline restart latency minus LOAD (s): ${answer[*]} median=$(printf '%s\n' "${answer[@]}" | median)"
$PROBE waithttp $URL --timeout 60 >/dev/null
sleep 1
say "    orphaned workers left by the $REPS kill -9s: $(( $($PROBE alive "$W/sd") - 3 ))"

hyperfine -N -i --warmup 3 --runs 30 --export-json "$W/hf_lifeline_status.json" "$L status" 2>&1 | tee -a "$out" | grep -E "Time|Range"

# (vi) overhead of supervision: the app's request latency under Lifeline (health checks every 1 s)
# against the same app started by hand, and the daemon's CPU while it watches a busy app.
cpu() { awk '{print $14+$15}' "/proc/$1/stat"; }
c0=$(cpu "$dpid"); t0=$(date +%s.%N)
lat_sup=$($PROBE latency http://127.0.0.1:$PORT/ 3000)
c1=$(cpu "$dpid"); t1=$(date +%s.%N)
say "(vi) app latency under lifeline: $lat_sup; daemon CPU meanwhile: $(echo "scale=2; ($c1 - $c0) / 100 / ($t1 - $t0) * 100" | bc)% of one core over $(echo "$t1 - $t0" | bc | cut -c1-5)s"

t0=$(date +%s.%N); "$L" stop webui >/dev/null; t1=$(date +%s.%N)
say "(iii) 'lifeline stop webui' took $(echo "$t1 - $t0" | bc) s; alive of app+workers after: $($PROBE alive "$W/sd")"
LOAD_SECONDS=0 WORKERS=2 STATE_DIR=$W/sd PORT=$PORT $PY "$shared/fake_webui.py" 2>/dev/null &
direct=$!
$PROBE waithttp $URL --timeout 60 >/dev/null
say "(vi) app latency started by hand:   $($PROBE latency http://127.0.0.1:$PORT/ 3000)"
kill -9 "$direct"; wait "$direct" 2>/dev/null; for p in $($PROBE alivepids "$W/sd"); do kill -9 "$p"; done

c0=$(date +%s.%N)
"$L" start crash >/dev/null 2>&1 &
states=""
for s in $(seq 1 "$CRASH_WINDOW"); do
  sleep 1
  st=$("$L" status --json | $PY -c "import json,sys; d=[a for a in json.load(sys.stdin) if a['name']=='crash']; print(d[0]['state'] if d else 'none')")
  case "$states" in *" $st@"*) ;; *) states="$states $st@${s}s";; esac
done
c1=$(date +%s.%N)
say "(v) lifeline crash loop (defaults: backoff 1s..60s, give up after 10 in 10m): $($PROBE crashes "$W/sd_crash" "$c0" "$c1") in ${CRASH_WINDOW}s; states:$states"
"$L" down >/dev/null
say "lifeline down; daemon alive? $(kill -0 "$dpid" 2>/dev/null && echo yes || echo no)"

if [ "${1:-}" != "--no-anchors" ]; then
  say "=== anchors, same run"
  ANCHORS_DIR=$W/anchors LOAD_SECONDS=$LOAD REPS=$REPS CRASH_WINDOW=$CRASH_WINDOW bash "$shared/supervisor_anchors.sh" supervisord
  ANCHORS_DIR=$W/anchors LOAD_SECONDS=$LOAD REPS=$REPS CRASH_WINDOW=$CRASH_WINDOW bash "$shared/supervisor_anchors.sh" pm2
  cat "$W/anchors/results/supervisor_raw.txt" >> "$out"
fi
echo "results: $out"
