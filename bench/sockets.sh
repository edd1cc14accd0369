#!/usr/bin/env bash
# Socket-table benchmarks (issue: who holds this port). For each fixture size
# of ../shared/bench/README.md, starts socket-fixture, then times with
# hyperfine, in the same run:
#   portscope listening --tcp      vs  ss -ltnp        and  lsof -nP -iTCP -sTCP:LISTEN
#   portscope who 2244             vs  ss -ltnp 'sport = :2244'  and  lsof -nP -i :2244
#   portscope listening --all --tcp vs ss -tanp
# each portscope command twice: as built (as root, process attribution by the
# BPF iterator when built in) and with PORTSCOPE_NO_BPF=1 (the /proc walk),
# and checks that portscope and ss report the same number of sockets.
# Usage: bench/sockets.sh [small|medium|large ...]   (default: all three)
# Needs root for the other users' processes (as do ss -p and lsof).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
shared=$(cd "$root/../shared" && pwd)
PORTSCOPE_SETUP_BENCH=1 "$root/scripts/setup"
command -v lsof >/dev/null || apt-get install -y -qq lsof >/dev/null
"$root/scripts/run" --version >/dev/null
bin="$root/build/portscope"
work=$(mktemp -d)
fixture_pid=
cleanup() {
  [[ -n "$fixture_pid" ]] && kill "$fixture_pid" 2>/dev/null && wait "$fixture_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
cc -O2 -o "$work/socket-fixture" "$shared/bench/socket-fixture.c"

declare -A args=([small]="-n 100 -m 100 -u 20 -k 8" [medium]="-n 5000 -m 5000 -u 200 -k 8"
                 [large]="-n 20000 -m 20000 -u 500 -k 8")
declare -A runs=([small]=30 [medium]=10 [large]=5)
sizes=("$@")
[[ ${#sizes[@]} -eq 0 ]] && sizes=(small medium large)

median() { python3 -c "import json,sys; r=json.load(open(sys.argv[1]))['results']; print(' '.join(f\"{x['median']*1000:.1f}\" for x in r))" "$1"; }
# CPU time (user + system, hyperfine's means): steadier than wall time when
# other jobs share the cores.
cpu() { python3 -c "import json,sys; r=json.load(open(sys.argv[1]))['results']; print(' '.join(f\"{(x['user']+x['system'])*1000:.1f}\" for x in r))" "$1"; }

for size in "${sizes[@]}"; do
  # TIME-WAIT sockets of the previous size would be counted by every tool.
  for _ in $(seq 120); do [[ $(ss -tanH state time-wait | wc -l) -lt 100 ]] && break; sleep 1; done
  rm -f "$work/ready"
  "$work/socket-fixture" ${args[$size]} -r "$work/ready" >/dev/null 2>&1 &
  fixture_pid=$!
  for _ in $(seq 600); do [[ -s "$work/ready" ]] && break; sleep 0.1; done
  [[ -s "$work/ready" ]] || { echo "fixture did not start" >&2; exit 1; }

  n=${runs[$size]}
  # `env` costs the /proc variant ~1 ms of exec; hyperfine has no per-command environment.
  noproc="env PORTSCOPE_NO_BPF=1 $bin"
  hyperfine -N --warmup 1 --runs "$n" --export-json "$work/l.json" \
    "$bin listening --tcp" "$noproc listening --tcp" "ss -ltnp" "lsof -nP -iTCP -sTCP:LISTEN" >/dev/null 2>&1
  hyperfine -N --warmup 1 --runs "$n" --export-json "$work/w.json" \
    "$bin who 2244" "$noproc who 2244" "ss -ltnp 'sport = :2244'" "lsof -nP -i :2244" >/dev/null 2>&1
  hyperfine -N --warmup 1 --runs "$n" --export-json "$work/a.json" \
    "$bin listening --all --tcp" "$noproc listening --all --tcp" "ss -tanp" >/dev/null 2>&1
  read -r pl plp sl ll <<<"$(median "$work/l.json")"
  read -r pw pwp sw lw <<<"$(median "$work/w.json")"
  read -r pa pap sa <<<"$(median "$work/a.json")"
  route=$("$bin" who --json 2244 | python3 -c "import json,sys; print(json.load(sys.stdin)['attribution'])")
  # Same answer: listener counts (TCP) from both tools.
  ours=$("$bin" listening --tcp --json | python3 -c "import json,sys; print(len(json.load(sys.stdin)['sockets']))")
  theirs=$(ss -ltnH | wc -l)
  echo "== $size (${args[$size]}), medians in ms, $n runs each; portscope attribution: $route, then /proc (PORTSCOPE_NO_BPF=1)"
  printf "listening       portscope %7.1f  /proc %7.1f  ss -ltnp %7.1f  lsof %7.1f  ss/portscope %.1fx  lsof/portscope %.1fx\n" \
    "$pl" "$plp" "$sl" "$ll" "$(echo "$sl / $pl" | bc -l)" "$(echo "$ll / $pl" | bc -l)"
  printf "who 2244        portscope %7.1f  /proc %7.1f  ss       %7.1f  lsof %7.1f  ss/portscope %.1fx  lsof/portscope %.1fx\n" \
    "$pw" "$pwp" "$sw" "$lw" "$(echo "$sw / $pw" | bc -l)" "$(echo "$lw / $pw" | bc -l)"
  printf "listening --all portscope %7.1f  /proc %7.1f  ss -tanp %7.1f              ss/portscope %.1fx\n" \
    "$pa" "$pap" "$sa" "$(echo "$sa / $pa" | bc -l)"
  read -r cl clp csl cll <<<"$(cpu "$work/l.json")"
  read -r cw cwp csw clw <<<"$(cpu "$work/w.json")"
  read -r ca cap csa <<<"$(cpu "$work/a.json")"
  printf "cpu (user+sys)  listening %.1f /proc %.1f ss %.1f lsof %.1f; who %.1f /proc %.1f ss %.1f lsof %.1f; --all %.1f /proc %.1f ss %.1f\n" \
    "$cl" "$clp" "$csl" "$cll" "$cw" "$cwp" "$csw" "$clw" "$ca" "$cap" "$csa"
  echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "TCP listeners: portscope $ours, ss $theirs"
  kill "$fixture_pid"; wait "$fixture_pid" 2>/dev/null || true; fixture_pid=
done
