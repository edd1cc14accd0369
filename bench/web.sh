#!/usr/bin/env bash
# Web server benchmark (issue 6): wrk on loopback against `portscope serve`,
# 2 threads, keep-alive connections, latency percentiles:
#   /api/ports/N   target >= 20,000 requests/s with p99 < 5 ms (2 cores)
#   /ports/N       the HTML page, with its live "here" section
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
cleanup() {
  if [[ -n "$server" ]]; then
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

"$bin" serve --listen 127.0.0.1:0 >"$tmp/out" 2>"$tmp/err" &
server=$!
url=""
for _ in $(seq 100); do
  url=$(grep -o 'http://127\.0\.0\.1:[0-9]*/' "$tmp/out" || true)
  [[ -n "$url" ]] && break
  sleep 0.1
done
[[ -n "$url" ]] || { cat "$tmp/err" >&2; exit 1; }

echo "date: $(date -u +%Y-%m-%dT%H:%MZ)  host: $(nproc) cores  load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for path in "api/ports/$port" "ports/$port"; do
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
