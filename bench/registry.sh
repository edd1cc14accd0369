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

# The lookup is compared in rounds that alternate which command goes first,
# so that drift in the machine's load (other jobs, CPU frequency) falls on
# both alike; the ratio reported is the median of the rounds' ratios.
rounds=${ROUNDS:-10}
per_round=$(( (runs + rounds - 1) / rounds ))
ratios=()
for ((r = 0; r < rounds; r++)); do
  if (( r % 2 == 0 )); then order=("$bin 22/tcp" "getent services 22/tcp"); else order=("getent services 22/tcp" "$bin 22/tcp"); fi
  hyperfine -N --warmup 20 --runs "$per_round" --export-json "$out/round$r.json" "${order[@]}" >/dev/null 2>&1
done
hyperfine -N --warmup 50 --runs "$runs" --export-json "$out/search.json" \
  "$bin search http" >/dev/null 2>&1

median_ms() {  # file index
  python3 - "$1" "$2" <<'PY' 2>/dev/null || jq -r ".results[$2].median * 1000" "$1"
import json, sys
r = json.load(open(sys.argv[1]))["results"][int(sys.argv[2])]
print(f"{r['median'] * 1000:.3f}")
PY
}
read -r ps ge ratio < <(python3 - "$out" "$rounds" <<'PY'
import json, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
ps, ge, ratios = [], [], []
for r in range(rounds):
    res = json.load(open(f"{out}/round{r}.json"))["results"]
    t = {("getent" if x["command"].startswith("getent") else "ps"): x["median"] * 1000 for x in res}
    ps.append(t["ps"]); ge.append(t["getent"]); ratios.append(t["ps"] / t["getent"])
print(f"{statistics.median(ps):.3f} {statistics.median(ge):.3f} {statistics.median(ratios):.2f}")
print(" ".join(f"{x:.2f}" for x in ratios), file=sys.stderr)
PY
)
se=$(median_ms "$out/search.json" 0)
rss=$(/usr/bin/time -f %M "$bin" 2244 2>&1 >/dev/null | tail -1)

echo "date: $(date -u +%Y-%m-%dT%H:%MZ)  host: $(nproc) cores  runs: $runs"
echo "portscope 22/tcp         median ${ps} ms"
echo "getent services 22/tcp   median ${ge} ms"
echo "ratio portscope/getent   ${ratio} (median of ${rounds} alternating rounds; target <= 1.00)"
echo "portscope search http    median ${se} ms (target < 5 ms)"
awk -v k="$rss" 'BEGIN { printf "peak RSS portscope 2244  %.1f MiB (target < 8 MiB)\n", k / 1024 }'
