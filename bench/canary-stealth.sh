#!/usr/bin/env bash
# Stealth-mode canary under a SYN flood (issue 5), run by hand as root:
#
#   bench/canary-stealth.sh [build/portscope]
#
# Inside a network namespace of its own (loopback only), `portscope canary
# --stealth --ports 1-500 --interface lo` faces ../shared/bench/synflood.c:
#   A. 200 scanners x 500 ports (100,000 SYNs) at 50,000 packets/s
#   B. the same at 100,000 packets/s
#   C. 1,000,000 SYNs from 100,000 spoofed sources, as fast as synflood goes
# and for each prints: scanners alerted (distinct sources in `portscope alerts`),
# libpcap's received/dropped counters, the canary's peak RSS (VmHWM) and CPU
# seconds, and its exit counters (capture, daemon, writer, engine), which must
# add up. With scanlogd installed (PORTSCOPE_SETUP_BENCH=1 scripts/setup),
# scanlogd faces A and B too, in a mount namespace whose /dev/log is a
# receiver of this script's, and its reports are counted.
#
# CAPTURE_MB (default 64) sets --capture-buffer; the ring counts in the
# canary's RSS (about 32 MiB without it). SKIP_SCANLOGD=1 leaves scanlogd out.
set -uo pipefail
capture_mb=${CAPTURE_MB:-64}
bin=$(realpath "${1:-build/portscope}")
here=$(cd "$(dirname "$0")/.." && pwd)
shared="$here/../shared/bench"
[[ $(id -u) -eq 0 ]] || { echo "needs root (raw sockets, namespaces, nftables)"; exit 1; }
# The databases and logs go to $work, removed at exit (KEEP=1 keeps them).
work=$(mktemp -d /tmp/ps-bench-stealth.XXXXXX)
cc -O2 -o "$work/synflood" "$shared/synflood.c" || exit 1
ns="ps-bench-stealth-$$"
ip netns add "$ns" || exit 1
ip -n "$ns" link set lo up
supervisor=""
cleanup() {
  [[ -n "$supervisor" ]] && kill -TERM "$supervisor" 2>/dev/null
  for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
  ip netns del "$ns" 2>/dev/null
  [[ -n "${KEEP:-}" ]] && echo "kept: $work" || rm -rf "$work"
}
trap cleanup EXIT

# run NAME WAIT_S SYNFLOOD-ARGS...: WAIT_S seconds after the flood before
# SIGTERM (alerts past the rate limit's burst of 100 go out at 10/s, so 200
# scanners need ~10 s to all be reported; scans still unreported at exit are
# counted as dropped alerts).
run() {
  local name=$1 wait_s=$2
  shift 2
  local db="$work/$name.db" err="$work/$name.err"
  ip netns exec "$ns" "$bin" canary --stealth --ports 1-500 --interface lo --capture-buffer "$capture_mb" --db "$db" 2>"$err" &
  supervisor=$!
  for _ in $(seq 100); do grep -q "canary watching" "$err" && break; sleep 0.1; done
  local child
  child=$(grep -o 'pid [0-9]*' "$err" | head -1 | cut -d' ' -f2)
  local t0 t1
  t0=$(date +%s.%N)
  ip netns exec "$ns" "$work/synflood" -d 127.0.0.1 "$@" -t 60 >"$work/$name.flood" 2>&1
  t1=$(date +%s.%N)
  sleep "$wait_s"
  local hwm cpu
  hwm=$(awk '/VmHWM/ {print $2}' "/proc/$child/status")
  cpu=$(awk '{printf "%.2f", ($14 + $15) / 100}' "/proc/$child/stat")
  kill -TERM "$supervisor"
  wait "$supervisor"
  supervisor=""
  local alerted
  alerted=$("$bin" alerts --db "$db" --json --limit 0 | jq '[.[].source.ip] | unique | length')
  echo "== $name (--capture-buffer $capture_mb): synflood $* (flood took $(echo "$t1 - $t0" | bc) s)"
  tail -1 "$work/$name.flood"
  echo "sources alerted: $alerted; canary peak RSS $((hwm / 1024)) MiB, CPU ${cpu} s"
  grep -E "note: (capture|daemon|engine)" "$err" | sed 's/^portscope: note: /  /'
}

run A-50k 15 -S 200 -b 127.2.0.1 -p 1-500 -n 100000 -r 50000
run B-100k 15 -S 200 -b 127.2.0.1 -p 1-500 -n 100000 -r 100000
run C-1M-spoofed 3 -S 100000 -b 127.3.0.1 -p 1-500 -n 1000000 -r 0

if [[ "${SKIP_SCANLOGD:-0}" == 1 ]]; then
  echo "scanlogd: left out (SKIP_SCANLOGD=1)"
elif command -v scanlogd >/dev/null && command -v socat >/dev/null; then
  # scanlogd logs through syslog(3) to /dev/log, and this machine has no
  # syslog daemon: in a private mount namespace, /dev is a tmpfs whose
  # /dev/log is a datagram socket that socat copies to a file.
  for rate in 50000 100000; do
    log="$work/scanlogd-$rate.log"
    : >"$log"
    ip netns exec "$ns" unshare -m --propagation private bash -c "
      mount -t tmpfs none /dev && mknod -m 666 /dev/null c 1 3 || exit 1
      mount -t tmpfs none /run && mkdir -p /run/scanlogd/empty || exit 1  # its chroot
      socat -u UNIX-RECV:/dev/log OPEN:$log,append & sock=\$!
      for _ in \$(seq 50); do [[ -S /dev/log ]] && break; sleep 0.1; done
      scanlogd; sleep 0.5
      $work/synflood -d 127.0.0.1 -S 200 -b 127.2.0.1 -p 1-500 -n 100000 -r $rate -t 60 >/dev/null
      sleep 15
      me=\$(readlink /proc/self/ns/net)
      for d in /proc/[0-9]*; do
        [[ \$(cat \$d/comm 2>/dev/null) == scanlogd && \$(readlink \$d/ns/net) == \$me ]] && kill \${d#/proc/}
      done
      kill \$sock" 2>"$work/scanlogd-$rate.err"
    # Datagrams, no newlines: one "scanlogd:" per message.
    reported=$(grep -oE '127\.2\.[0-9]+\.[0-9]+(:[0-9]+)? to' "$log" | sed 's/:.*//; s/ to$//' | sort -u | wc -l)
    echo "== scanlogd at $rate pps (same synflood, 15 s after): $reported of 200 scanners reported ($(grep -o 'scanlogd:' "$log" | wc -l) messages)"
  done
else
  echo "scanlogd or socat not installed (PORTSCOPE_SETUP_BENCH=1 scripts/setup): not measured in this run"
fi
echo "work files in $work"
