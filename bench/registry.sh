#!/usr/bin/env bash
# Registry benchmarks (issue: port knowledge). Whole-process timings with
# hyperfine against the peer tool in the same run, reported as ratios:
#   portscope 22/tcp       vs  getent services 22/tcp   target ratio <= 1.0
#   portscope search http                               target < 5 ms
#   peak RSS of portscope 2244                          target < 8 MiB
# Usage: bench/registry.sh [RUNS]   (default 500 runs each)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
runs=${1:-500}
PORTSCOPE_SETUP_BENCH=1 "$root/scripts/setup"
"$root/scripts/run" --version >/dev/null   # builds build/portscope (Release)
bin="$root/build/portscope"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

hyperfine -N --warmup 50 --runs "$runs" --export-json "$out/lookup.json" \
  "$bin 22/tcp" "getent services 22/tcp" >/dev/null 2>&1
hyperfine -N --warmup 50 --runs "$runs" --export-json "$out/search.json" \
  "$bin search http" >/dev/null 2>&1

median_ms() {  # file index
  python3 - "$1" "$2" <<'PY' 2>/dev/null || jq -r ".results[$2].median * 1000" "$1"
import json, sys
r = json.load(open(sys.argv[1]))["results"][int(sys.argv[2])]
print(f"{r['median'] * 1000:.3f}")
PY
}
ps=$(median_ms "$out/lookup.json" 0)
ge=$(median_ms "$out/lookup.json" 1)
se=$(median_ms "$out/search.json" 0)
rss=$(/usr/bin/time -f %M "$bin" 2244 2>&1 >/dev/null | tail -1)

echo "date: $(date -u +%Y-%m-%dT%H:%MZ)  host: $(nproc) cores  runs: $runs"
echo "portscope 22/tcp         median ${ps} ms"
echo "getent services 22/tcp   median ${ge} ms"
awk -v a="$ps" -v b="$ge" 'BEGIN { printf "ratio portscope/getent   %.2f (target <= 1.00)\n", a / b }'
echo "portscope search http    median ${se} ms (target < 5 ms)"
awk -v k="$rss" 'BEGIN { printf "peak RSS portscope 2244  %.1f MiB (target < 8 MiB)\n", k / 1024 }'
