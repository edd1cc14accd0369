#!/usr/bin/env bash
# Browser tests of `portscope serve` (ctest runs this):
#   tests/browser/run.sh PORTSCOPE_BINARY ARTIFACT_DIR
# Starts `portscope canary` on a free loopback port and two servers on free
# loopback ports (one with a token, one reading the canary's database), runs
# browser.test.mjs against them with Debian's chromium (headless, through
# playwright-core from npm), and stops them by PID. The test probes the
# canary port itself. Screenshots go to ARTIFACT_DIR.
# Exits 77 (ctest: skipped) when chromium, node or npm is missing, or when
# playwright-core cannot be installed (no network and no npm cache);
# `PORTSCOPE_SETUP_BROWSER=1 scripts/setup` installs chromium and node.
set -euo pipefail
bin=${1:?usage: run.sh PORTSCOPE_BINARY ARTIFACT_DIR}
artifacts=${2:?usage: run.sh PORTSCOPE_BINARY ARTIFACT_DIR}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
chromium=${PORTSCOPE_CHROMIUM:-/usr/bin/chromium}
skip() { echo "SKIPPED: $*"; exit 77; }

[[ -x "$chromium" ]] || skip "no chromium at $chromium (PORTSCOPE_SETUP_BROWSER=1 scripts/setup installs it)"
command -v node >/dev/null || skip "node is not installed (PORTSCOPE_SETUP_BROWSER=1 scripts/setup installs it)"
command -v npm >/dev/null || skip "npm is not installed (PORTSCOPE_SETUP_BROWSER=1 scripts/setup installs it)"

# playwright-core as package-lock.json pins it; reinstalled only when the
# lock file changes. Never a browser download: chromium is Debian's.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
stamp="$here/node_modules/.portscope-lock-sha256"
want=$(sha256sum "$here/package-lock.json" | cut -d' ' -f1)
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  if ! (cd "$here" && flock "$here/package-lock.json" npm ci --no-audit --no-fund --prefer-offline --loglevel=error); then
    skip "npm ci failed (offline, and playwright-core not in the npm cache?)"
  fi
  echo "$want" >"$stamp"
fi

mkdir -p "$artifacts"
tmp=$(mktemp -d)
servers=()
cleanup() {
  for pid in "${servers[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$tmp"
}
trap cleanup EXIT

# start NAME ARGS...: `portscope serve --listen 127.0.0.1:0 ARGS` (the kernel
# picks a free port, and the server prints its URL); sets $url.
start() {
  local name=$1
  shift
  "$bin" serve --listen 127.0.0.1:0 "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
  servers+=($!)
  url=""
  for _ in $(seq 100); do
    url=$(grep -o 'http://127\.0\.0\.1:[0-9]*/' "$tmp/$name.out" || true)
    [[ -n "$url" ]] && return 0
    kill -0 "${servers[-1]}" 2>/dev/null || break
    sleep 0.1
  done
  echo "portscope serve ($name) did not start:" >&2
  cat "$tmp/$name.err" >&2
  exit 1
}

# The canary, on a loopback port nothing holds (the kernel picks it; the
# canary refuses a port something took meanwhile, and the test then fails
# with its message).
canary_port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
"$bin" canary --ports "$canary_port/tcp" --bind 127.0.0.1 --db "$tmp/canary.db" --quiet >"$tmp/canary.out" 2>"$tmp/canary.err" &
servers+=($!)
for _ in $(seq 100); do
  [[ -f "$tmp/canary.db" ]] && break
  if ! kill -0 "${servers[-1]}" 2>/dev/null; then
    echo "portscope canary did not start:" >&2
    cat "$tmp/canary.err" >&2
    exit 1
  fi
  sleep 0.1
done

start open --db "$tmp/canary.db"
open_url=$url
token=$(head -c 24 /dev/urandom | base64 | tr '+/' '-_')
printf '%s\n' "$token" >"$tmp/token"
chmod 600 "$tmp/token"
start guarded --token-file "$tmp/token"
guarded_url=$url
echo "testing $open_url (and $guarded_url with a token) with $chromium; screenshots in $artifacts"

PORTSCOPE_URL="$open_url" CANARY_PORT="$canary_port" PORTSCOPE_TOKEN_URL="$guarded_url" PORTSCOPE_TOKEN="$token" CHROMIUM="$chromium" \
  ARTIFACTS="$artifacts" timeout 150 node --test --test-reporter=spec "$here/browser.test.mjs"
