#!/usr/bin/env bash
# Old against new, run by run: the way engine and decoder changes were judged
# from session 4 on (bench/RESULTS.md, issue 4), because on these VMs single
# runs of the same binary scatter by 30% and more within minutes.
#
# Builds pipeline_perftest (Release) from BASE in a temporary git worktree and
# from the working tree, checks that both give the same alerts and counters
# (`--dump 1`), then alternates `--runs 1` of each ROUNDS times (default 10)
# on one capture and prints every pair and the geometric mean of new / old.
# With --decode-only, only reading and decoding are timed.
#
# Usage: bench/ab.sh BASE [ROUNDS] [CAPTURE] [--decode-only]
#   BASE     a commit (e.g. HEAD~1, or HEAD to compare uncommitted changes)
#   CAPTURE  a pcap file; default: a 3,000,000-frame synthetic capture from
#            make_scan_capture (100,000 sources, snap length 96), made once
#            in the temporary directory
# Do not run it while anything else builds or runs here (2 cores).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
base=${1:?usage: bench/ab.sh BASE [ROUNDS] [CAPTURE] [--decode-only]}
rounds=${2:-10}
capture=${3:-}
mode=()
[[ "${4:-}" == "--decode-only" || "${3:-}" == "--decode-only" ]] && mode=(--decode-only 1)
[[ "$capture" == "--decode-only" ]] && capture=

work=$(mktemp -d "${TMPDIR:-/tmp}/portscope-ab.XXXXXX")
cleanup() {
  git -C "$root" worktree remove --force "$work/base" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

build() {  # SOURCE_DIR BUILD_DIR
  cmake -S "$1" -B "$2" -G Ninja -DCMAKE_BUILD_TYPE=Release >"$2.log" 2>&1 &&
    cmake --build "$2" --target pipeline_perftest make_scan_capture >>"$2.log" 2>&1 || {
    tail -20 "$2.log" >&2
    exit 1
  }
}
git -C "$root" worktree add --detach "$work/base" "$base" >/dev/null 2>&1
build "$work/base" "$work/build-old"
build "$root" "$work/build-new"
old="$work/build-old/src/detect/pipeline_perftest"
new="$work/build-new/src/detect/pipeline_perftest"

if [[ -z "$capture" ]]; then
  capture="$work/probes.pcap"
  "$work/build-new/src/packet/make_scan_capture" --out "$capture" --packets 3000000 --sources 100000 --snaplen 96
fi

if ! cmp -s <("$old" "$capture" --runs 1 --dump 1 | grep -v '^run\|^median\|^file\|^mode') \
  <("$new" "$capture" --runs 1 --dump 1 | grep -v '^run\|^median\|^file\|^mode'); then
  echo "ab.sh: the two builds give different alerts or counters on $capture" >&2
  exit 1
fi
echo "same alerts and counters; $rounds rounds on $capture (M probes/s: old new)"
for _ in $(seq "$rounds"); do
  a=$("$old" "$capture" --runs 1 "${mode[@]}" | awk '/^median/ {print $2}')
  b=$("$new" "$capture" --runs 1 "${mode[@]}" | awk '/^median/ {print $2}')
  echo "$a $b"
done | awk '{print; r += log($2 / $1); n++} END {printf "geometric mean of new / old: %.3f\n", exp(r / n)}'
