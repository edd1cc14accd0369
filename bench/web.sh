#!/usr/bin/env bash
# Web server benchmark (issue 6): wrk on loopback against `portscope serve`,
# 2 threads, keep-alive connections, latency percentiles:
#   /api/ports/N   target >= 20,000 requests/s with p99 < 5 ms (2 cores)
#   /ports/N       the HTML page, with its live "here" section and what the
#                  canary has seen on the port (a SQLite query per request)
#   /api/events    the newest 100 of the canary's events (SQLite, JSON)
# A canary (portscope canary) watches one free loopback port and is probed
# PROBES times first, so the database the server reads is a real one.
# Usage: bench/web.sh [SECONDS] [CONNECTIONS] [PORT]   (default 15 64 2244)
# wrk shares the machine's cores with the server, as a local client would.
# The load average is printed before and after: other work on the machine
# moves the tail latencies more than anything in the server.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
seconds=${1:-15}
connections=${2:-64}
port=${3:-2244}
PORTSCOPE_SETUP_BENCH=1 "$root/scripts/setup"
"$root/scripts/run" --version >/dev/null   # builds build/portscope and build/portscope-serve (Release)
bin="$root/build/portscope"
tmp=$(mktemp -d)
server=""
canary=""
cleanup() {
  for pid in $server $canary; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$tmp"
}
trap cleanup EXIT

probes=${PROBES:-500}
canary_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$bin" canary --ports "$canary_port/tcp" --bind 127.0.0.1 --db "$tmp/canary.db" --quiet 2>"$tmp/canary.err" &
canary=$!
sleep 1
python3 - "$canary_port" "$probes" <<'PY'
import socket, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
for i in range(n):
    with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
        s.sendall(b"GET /probe/%d HTTP/1.0\r\n\r\n" % i)
PY
sleep 1.5   # the canary commits every 500 ms

"$bin" serve --listen 127.0.0.1:0 --db "$tmp/canary.db" >"$tmp/out" 2>"$tmp/err" &
server=$!
url=""
for _ in $(seq 100); do
  url=$(grep -o 'http://127\.0\.0\.1:[0-9]*/' "$tmp/out" || true)
  [[ -n "$url" ]] && break
  sleep 0.1
done
[[ -n "$url" ]] || { cat "$tmp/err" >&2; exit 1; }

echo "date: $(date -u +%Y-%m-%dT%H:%MZ)  host: $(nproc) cores  load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "canary database: $(curl -s "${url}api/report?since=1h" | python3 -c 'import json,sys; print(json.load(sys.stdin)["totals"])')"
for path in "api/ports/$port" "ports/$port" "api/events"; do
  # Warm-up: fills the page caches and the first "here" snapshot.
  wrk -t2 -c"$connections" -d3s "$url$path" >/dev/null
  wrk -t2 -c"$connections" -d"${seconds}s" --latency "$url$path" >"$tmp/wrk"
  rps=$(awk '/^Requests\/sec/ {print $2}' "$tmp/wrk")
  p50=$(awk '$1 == "50%" {print $2}' "$tmp/wrk")
  p90=$(awk '$1 == "90%" {print $2}' "$tmp/wrk")
  p99=$(awk '$1 == "99%" {print $2}' "$tmp/wrk")
  errors=$(awk '/Non-2xx|Socket errors/ {print}' "$tmp/wrk" | tr '\n' ' ')
  printf '%-18s %10s req/s   p50 %8s   p90 %8s   p99 %8s  %s\n' "/$path" "$rps" "$p50" "$p90" "$p99" "$errors"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "wrk: wrk -t2 -c$connections -d${seconds}s --latency ${url}PATH (after a 3 s warm-up)"
