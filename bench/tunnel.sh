#!/usr/bin/env bash
# Tunnel benchmark: Lifeline's tunnel keeper side by side with plain `ssh -L` and autossh (the seed
# article's settings: -M 0, ServerAliveInterval=30, ServerAliveCountMax=3) in one run, against
# Debian's OpenSSH sshd on 127.0.0.1 with its own config, port and keys (never the system sshd).
#
#   bench/tunnel.sh            # needs: openssh-server openssh-client autossh python3 curl; java 17; target/lifeline.jar
#   env: OUTAGE=20 MB=200 RUNS=3 LAT_N=300 SMALL_N=60 SHARED_BENCH=../shared/bench (next to the project)
#
# Measures (e) bulk throughput (a MB MiB HTTP download through the forward, median of RUNS),
# (l) small-request latency (LAT_N GETs, a new TCP connection each), (s) small requests as a web UI
# page makes them: SMALL_N sequential GETs, new connection each, median/p90/p99 in 3 interleaved turns
# (issue 14: Nagle and delayed ACKs add ~40 ms to one in three through plain `ssh -N -L`), and two
# faults made by a relay
# (bench/natrelay.py) that stops moving bytes without closing anything, for OUTAGE s:
#   (c1) short outage: afterwards the old connections move again (as with relay.py / iptables DROP);
#   (c2) NAT loss: afterwards new connections pass but the old ones stay dead for good (a NAT entry
#        expired, the Wi-Fi changed): the seed article's case.
# For each: when the dead link was noticed (the ssh process ended) and when HTTP answered again after
# the network returned. Only 127.0.0.1 traffic. Scratch files go under $TMPDIR, never into the repo.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
shared=${SHARED_BENCH:-$ROOT/../shared/bench}
[ -d "$shared" ] || { echo "bench: $shared not found: it is ../shared/bench next to the project; set SHARED_BENCH to that folder" >&2; exit 2; }
LIB=${BENCH_LIB:-$shared/lib}
FAKE=${FAKE_WEBUI:-$shared/fake_webui.py}
JAR=${LIFELINE_JAR:-$ROOT/target/lifeline.jar}
PY=/usr/bin/python3
W=${TMPDIR:-/tmp}/lifeline-bench-tunnel
OUTAGE=${OUTAGE:-20}; MB=${MB:-200}; RUNS=${RUNS:-3}; LAT_N=${LAT_N:-300}; SMALL_N=${SMALL_N:-60}
SPORT=22522; RPORT=22523; WPORT=17871
declare -A LPORT=([ssh]=17881 [autossh]=17882 [lifeline]=17883)
PIDS=()
OUT=$W/results.txt

say() { echo "$*" | tee -a "$OUT"; }
median() { sort -g | awk '{a[NR]=$1} END{ if(NR%2) print a[(NR+1)/2]; else printf "%.1f\n",(a[NR/2]+a[NR/2+1])/2 }'; }
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  sleep 0.5
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
}
trap cleanup EXIT

[ -f "$JAR" ] || { echo "no $JAR: run mvn -B -o package -DskipTests first"; exit 1; }
for b in /usr/sbin/sshd autossh ssh curl; do command -v $b >/dev/null || { echo "missing $b (apt-get install -y openssh-server autossh)"; exit 1; }; done

rm -rf "$W"; mkdir -p "$W"; chmod 700 "$W"
ssh-keygen -q -t ed25519 -N '' -f "$W/host_ed25519"
ssh-keygen -q -t ed25519 -N '' -f "$W/client_ed25519"
cp "$W/client_ed25519.pub" "$W/authorized_keys"
for p in $SPORT $RPORT; do echo "[127.0.0.1]:$p $(cut -d' ' -f1,2 "$W/host_ed25519.pub")"; done > "$W/known_hosts"
cat > "$W/sshd_config" <<EOF
Port $SPORT
ListenAddress 127.0.0.1
HostKey $W/host_ed25519
PidFile $W/sshd.pid
AuthorizedKeysFile $W/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
AllowTcpForwarding local
X11Forwarding no
PrintMotd no
MaxStartups 100
LogLevel ERROR
EOF
mkdir -p /run/sshd
/usr/sbin/sshd -t -f "$W/sshd_config" || { echo "sshd config invalid"; exit 1; }
/usr/sbin/sshd -D -e -f "$W/sshd_config" 2>"$W/sshd.log" & PIDS+=($!)
$PY "$HERE/natrelay.py" $RPORT $SPORT "$W/relay.log" & RELAY=$!; PIDS+=($RELAY)
LOAD_SECONDS=0 PORT=$WPORT $PY "$FAKE" 2>"$W/webui.log" & PIDS+=($!)
$PY "$LIB/probe.py" waithttp "http://127.0.0.1:$WPORT/healthz" --timeout 20 >/dev/null

: > "$OUT"
say "=== tunnel benchmark $(date -u +%FT%TZ) on $(uname -srm), $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
say "$(ssh -V 2>&1); $(autossh -V); $(java -version 2>&1 | head -1); load avg $(cut -d' ' -f1-3 /proc/loadavg)"

COMMON=(-F /dev/null -i "$W/client_ed25519" -o IdentitiesOnly=yes -o UserKnownHostsFile="$W/known_hosts")
# start_tool NAME SSHPORT ; sets TOOL_PID (the process whose ssh child carries the forward)
start_tool() {
  local name=$1 port=$2 lp=${LPORT[$1]}
  local fw=(-L 127.0.0.1:$lp:127.0.0.1:$WPORT)
  case $name in
    ssh) # a parent shell, so the fault script can watch its ssh child like autossh's
         bash -c "ssh -N -o BatchMode=yes -o StrictHostKeyChecking=yes -o ExitOnForwardFailure=yes $(printf '%q ' "${COMMON[@]}" "${fw[@]}") -p $port root@127.0.0.1; true" 2>"$W/ssh.log" & ;;
    autossh) AUTOSSH_GATETIME=0 AUTOSSH_LOGFILE="$W/autossh.log" autossh -M 0 -o ServerAliveInterval=30 -o ServerAliveCountMax=3 \
               -o ExitOnForwardFailure=yes -o BatchMode=yes -N "${COMMON[@]}" "${fw[@]}" -p "$port" root@127.0.0.1 & ;;
    lifeline) LIFELINE_HOME="$W/home" java -XX:+UseSerialGC -Xms8m -Xmx64m -XX:TieredStopAtLevel=1 -jar "$JAR" \
               tunnel --foreground -- ssh "${COMMON[@]}" "${fw[@]}" -p "$port" root@127.0.0.1 >"$W/lifeline.out" 2>&1 & ;;
  esac
  TOOL_PID=$!; PIDS+=($TOOL_PID)
  local t
  t=$($PY "$LIB/probe.py" waithttp "http://127.0.0.1:$lp/healthz" --timeout 30)
  [ "$t" = timeout ] && { say "$name: tunnel did not come up"; return 1; }
  sleep 1
  local kid; kid=$(pgrep -P "$TOOL_PID" -x ssh | head -1)
  say "$name: forward up after ${t}s; RSS: $name $(ps -o rss= -p "$TOOL_PID" | xargs) KiB, its ssh child ${kid:+$(ps -o rss= -p "$kid" | xargs)} KiB"
}
stop_tool() {
  local kids; kids=$(pgrep -P "$TOOL_PID")
  kill "$TOOL_PID" 2>/dev/null; wait "$TOOL_PID" 2>/dev/null
  for k in $kids; do kill "$k" 2>/dev/null; done
  sleep 0.5
}

tput() {  # $1 port -> median MiB/s
  local xs=() i
  for i in $(seq 1 "$RUNS"); do
    xs+=("$(curl -s -o /dev/null -w '%{speed_download}' "http://127.0.0.1:$1/blob?mb=$MB" | awk '{printf "%.1f", $1/1048576}')")
  done
  echo "$(printf '%s\n' "${xs[@]}" | median) (runs: ${xs[*]})"
}

say "--- direct (no tunnel)"
say "direct: ${MB} MiB download MiB/s $(tput $WPORT)"
say "direct: latency $($PY "$LIB/probe.py" latency "http://127.0.0.1:$WPORT/healthz" "$LAT_N")"

# All three tunnels up at once (each its own local port, straight to sshd), measured in turns, so
# that a busy neighbour on the machine affects every tool alike.
TP=()
for tool in ssh autossh lifeline; do
  say "--- $tool (straight to sshd :$SPORT)"
  start_tool $tool $SPORT || exit 1
  TP+=($TOOL_PID)
done
declare -A XS LAT
for i in $(seq 1 "$RUNS"); do
  for tool in ssh autossh lifeline; do
    XS[$tool]+="$(curl -s -o /dev/null -w '%{speed_download}' "http://127.0.0.1:${LPORT[$tool]}/blob?mb=$MB" | awk '{printf "%.1f", $1/1048576}') "
  done
done
for tool in ssh autossh lifeline; do
  say "$tool: ${MB} MiB download MiB/s $(printf '%s\n' ${XS[$tool]} | median) (runs in turn: ${XS[$tool]})"
done
for i in 1 2 3; do
  for tool in ssh autossh lifeline; do
    LAT[$tool]+="$($PY "$LIB/probe.py" latency "http://127.0.0.1:${LPORT[$tool]}/healthz" $((LAT_N / 3))) | "
  done
done
for tool in ssh autossh lifeline; do say "$tool: latency, 3 turns of $((LAT_N / 3)): ${LAT[$tool]}"; done
# (s) small requests: p90/p99 per tool, the three turns interleaved with direct so load hits all alike
declare -A SMALL
declare -A SPORTS=([direct]=$WPORT [ssh]=${LPORT[ssh]} [autossh]=${LPORT[autossh]} [lifeline]=${LPORT[lifeline]})
for i in 1 2 3; do
  for tool in direct ssh autossh lifeline; do
    SMALL[$tool]+="$($PY "$HERE/smallreq.py" "${SPORTS[$tool]}" /healthz "$SMALL_N") | "
  done
done
say "small requests ($SMALL_N sequential GETs, new connection each; 3 turns):"
say "$(printf '  %-9s %s' tool 'p90 ms (3 turns)        p99 ms (3 turns)')"
for tool in direct ssh autossh lifeline; do
  p90s=$(echo "${SMALL[$tool]}" | grep -o 'p90_ms=[0-9.]*' | cut -d= -f2 | xargs)
  p99s=$(echo "${SMALL[$tool]}" | grep -o 'p99_ms=[0-9.]*' | cut -d= -f2 | xargs)
  say "$(printf '  %-9s %-24s %s' "$tool" "$p90s" "$p99s")"
done
for p in "${TP[@]}"; do TOOL_PID=$p; stop_tool; done

for fault in short nat; do
  for tool in ssh autossh lifeline; do
    if [ $fault = short ]; then off="kill -USR2 $RELAY"; cap=60; what="short outage, old connections survive"
    else off="kill -HUP $RELAY"; cap=${NAT_CAP:-150}; what="NAT loss, old connections dead for good"; fi
    say "--- $tool: ${OUTAGE}s black hole, then $what (relay :$RPORT)"
    start_tool $tool $RPORT || continue
    sleep 2
    say "$tool [$fault]: $($PY "$LIB/tunfault.py" "$TOOL_PID" "http://127.0.0.1:${LPORT[$tool]}/healthz" "$OUTAGE" "kill -USR1 $RELAY" "$off" "$cap")"
    [ $tool = lifeline ] && cp "$W/lifeline.out" "$W/lifeline-$fault.out"
    stop_tool
  done
done
say "--- lifeline's own account (its event lines):"
for fault in short nat; do
  grep -hE "  (down|tunnel-up|retrying)  " "$W/lifeline-$fault.out" | tail -5 | sed "s/^/    [$fault] /" | tee -a "$OUT"
done
say "done; raw results in $OUT"
mkdir -p "$ROOT/bench/results" && cp "$OUT" "$ROOT/bench/results/tunnel-$(date -u +%Y%m%dT%H%M%SZ).txt"
