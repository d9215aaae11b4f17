#!/usr/bin/env bash
# Dashboard benchmark: the daemon with its dashboard on, side by side with pm2's daemon in the same run.
#
#   bench/dashboard.sh        env: SECONDS_PAGE=30 CLIENTS=50 SECONDS_API=10 EVENTS=500
#   SHARED_BENCH (default: ../shared/bench next to the project; its fake_webui.py is the app)
#
# Measures: (i) idle RSS of the Lifeline daemon (dashboard listening, supervising only) and of pm2's God
# daemon, each supervising the same app; (ii) the daemon's CPU while a page-like client keeps /api/events open and
# polls /api/services every 1 s, next to its idle CPU; (iii) API latency with CLIENTS concurrent clients,
# each one request every 100 ms and back to back (bench/DashLoad.java; wrk/hey are not needed); (iv) SSE delay from an event's own time to its arrival, p99, over EVENTS
# events (files written into the outputs: one 'stored' event each); (v) page weight: / and the assets it
# names, gzip. Scratch goes to $TMPDIR/lifeline-bench-dashboard; only 127.0.0.1 is used; every process
# started is stopped.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
shared=${SHARED_BENCH:-$here/../shared/bench}
[ -d "$shared" ] || { echo "bench: $shared not found: it is ../shared/bench next to the project; set SHARED_BENCH to that folder" >&2; exit 2; }
PY=/usr/bin/python3
SECONDS_PAGE=${SECONDS_PAGE:-30}
CLIENTS=${CLIENTS:-50}
SECONDS_API=${SECONDS_API:-10}
EVENTS=${EVENTS:-500}
W=${TMPDIR:-/tmp}/lifeline-bench-dashboard
export LIFELINE_HOME=$W/home
L="$here/lifeline"
LOAD="java $here/bench/DashLoad.java"
out=$W/dashboard_results.txt
for t in curl bc java; do command -v $t >/dev/null || { echo "missing $t" >&2; exit 1; }; done

rm -rf "$W"; mkdir -p "$W"/{project,outputs,sd,pm2}
say() { echo "$*" | tee -a "$out"; }
cleanup() {
  (cd "$W/project" && "$L" down --all >/dev/null 2>&1)
  [ -n "${PM2_HOME:-}" ] && pm2 kill >/dev/null 2>&1
}
trap cleanup EXIT

(cd "$here" && [ -f target/lifeline.jar ] || mvn -B -q -DskipTests package)
PORT=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
DPORT=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$W/project/lifeline.yaml" <<YAML
services:
  webui:
    command: ["$PY", "$shared/fake_webui.py"]
    env: { LOAD_SECONDS: "1", WORKERS: "2", STATE_DIR: "$W/sd", PORT: "$PORT" }
    port: $PORT
    ready: { http: /healthz, timeout: 2m }
    outputs: $W/outputs
dashboard: { listen: 127.0.0.1:$DPORT }
YAML
cd "$W/project"
say "=== Lifeline dashboard $(cd "$here" && git rev-parse --short HEAD 2>/dev/null) on $(nproc) cores, $(date -u +%FT%TZ), load avg $(cut -d' ' -f1-3 /proc/loadavg)"
"$L" up >/dev/null || { echo "lifeline up failed" >&2; exit 1; }
dpid=$(cat "$LIFELINE_HOME/daemon.pid")
url=$("$L" dashboard --url) || { echo "no dashboard" >&2; exit 1; }
token=${url#*token=}
base=${url%%\?*}
sleep 5
say "(i) idle RSS lifeline daemon with the dashboard listening: $(ps -o rss= -p "$dpid") KiB"
curl -s -o /dev/null -H "Authorization: Bearer $token" "${base}api/services"
sleep 3
say "(i) RSS after the first API request: $(ps -o rss= -p "$dpid") KiB"

if command -v pm2 >/dev/null; then
  export PM2_HOME=$W/pm2
  LOAD_SECONDS=1 WORKERS=2 STATE_DIR=$W/pm2 PORT=$(( PORT + 1 )) pm2 start "$PY" --name webui -- "$shared/fake_webui.py" >/dev/null 2>&1
  sleep 5
  god=$(cat "$PM2_HOME/pm2.pid" 2>/dev/null)
  [ -n "$god" ] && say "(i) idle RSS pm2 God daemon $(pm2 --version 2>/dev/null | tail -1) (same app): $(ps -o rss= -p "$god") KiB"
  pm2 kill >/dev/null 2>&1; unset PM2_HOME
else
  say "(i) pm2 not installed: no side-by-side number (npm install -g pm2)"
fi

ticks() { awk '{print $14+$15}' "/proc/$dpid/stat"; }
hz=$(getconf CLK_TCK)
c0=$(ticks); t0=$(date +%s.%N)
sleep "$SECONDS_PAGE"
c1=$(ticks); t1=$(date +%s.%N)
say "(ii) daemon CPU idle (no client) over $(printf %.1f "$(echo "$t1 - $t0" | bc)") s: $(echo "scale=3; 100 * ($c1 - $c0) / $hz / ($t1 - $t0)" | bc) % of a core"
c0=$(ticks); t0=$(date +%s.%N)
$LOAD page "$base" "$token" "$SECONDS_PAGE" | tee -a "$out"
c1=$(ticks); t1=$(date +%s.%N)
say "(ii) daemon CPU with one page open (SSE + /api/services every 1 s) over $(printf %.1f "$(echo "$t1 - $t0" | bc)") s: $(echo "scale=3; 100 * ($c1 - $c0) / $hz / ($t1 - $t0)" | bc) % of a core"

$LOAD api "$base" "$token" 5 3 >/dev/null  # warm-up
$LOAD api "$base" "$token" "$CLIENTS" "$SECONDS_API" 100 | sed 's/^/(iii) /' | tee -a "$out"
$LOAD api "$base" "$token" "$CLIENTS" "$SECONDS_API" | sed 's/^/(iii) /' | tee -a "$out"

# (iv) needs a vault: the same project with a backup: section (the daemon keeps running)
printf 'backup:\n  repository: %s\n' "$W/repo" >> "$W/project/lifeline.yaml"
"$L" up >/dev/null || { echo "lifeline up with backup failed" >&2; exit 1; }
sleep 2

$LOAD sse "$base" "$token" "$EVENTS" 120 > "$W/sse.out" &
lp=$!
for _ in $(seq 50); do grep -q connected "$W/sse.out" 2>/dev/null && break; sleep 0.2; done
for i in $(seq "$EVENTS"); do echo "$i" > "$W/outputs/out-$i.txt"; [ $(( i % 20 )) -eq 0 ] && sleep 0.2; done
wait $lp
grep '^sse:' "$W/sse.out" | grep -v connected | sed 's/^/(iv) /' | tee -a "$out"

total=0; parts=""
page=$(curl -s -H "Authorization: Bearer $token" "$base")
for p in / $(printf '%s' "$page" | grep -oE '(src|href)="/?assets/[^"]+"' | sed -E 's/^(src|href)="\/?//; s/"$//' | sort -u); do
  p=${p#/}
  n=$(curl -s -o /dev/null -w '%{size_download}' -H 'Accept-Encoding: gzip' -H "Authorization: Bearer $token" "$base$p")
  total=$((total + n)); parts="$parts /$p=$n"
done
say "(v) page weight, first load, gzip, without images: $total bytes ($parts )"
say "results in $out"
