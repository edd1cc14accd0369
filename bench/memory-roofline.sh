#!/usr/bin/env bash
# The machine's ceiling for random memory access on one core (issue 4's
# "10 M probes/s on one core" target): independent random cache-line reads
# per second over tables of 4 MiB (in cache), 24 MiB (about the L3) and
# 64/256 MiB (the engine's ~70 MB of tables at the defaults), with no
# prefetching and with prefetching 16 and 32 reads ahead. Compare with the
# engine's random lines per frame (bench/RESULTS.md) to see what rate a
# per-packet engine could reach at best.
# Usage: bench/memory-roofline.sh
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/portscope-roofline.XXXXXX")
trap 'rm -rf "$work"' EXIT
c++ -O2 -std=c++20 -o "$work/memory_roofline" "$root/bench/tools/memory_roofline.cc"
echo "date: $(date -u +%Y-%m-%dT%H:%MZ)  host: $(nproc) cores, $(lscpu | awk -F: '/L3 cache/ {gsub(/^ +/, "", $2); print "L3 " $2}')  load: $(cut -d' ' -f1-3 /proc/loadavg)"
for mib in 4 24 64 256; do
  for distance in 0 16 32; do
    "$work/memory_roofline" "$mib" "$distance"
  done
done
