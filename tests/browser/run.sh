#!/usr/bin/env bash
# Browser tests of `portscope serve` (ctest runs this):
#   tests/browser/run.sh PORTSCOPE_BINARY ARTIFACT_DIR
# Starts the server on a free loopback port, runs browser.test.mjs against it
# with Debian's chromium (headless, through playwright-core from npm), and
# stops the server by its PID. Screenshots go to ARTIFACT_DIR.
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
server=""
cleanup() {
  if [[ -n "$server" ]]; then
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# Port 0: the kernel picks a free port, and the server prints its URL.
"$bin" serve --listen 127.0.0.1:0 >"$tmp/out" 2>"$tmp/err" &
server=$!
url=""
for _ in $(seq 100); do
  url=$(grep -o 'http://127\.0\.0\.1:[0-9]*/' "$tmp/out" || true)
  [[ -n "$url" ]] && break
  kill -0 "$server" 2>/dev/null || break
  sleep 0.1
done
if [[ -z "$url" ]]; then
  echo "portscope serve did not start:" >&2
  cat "$tmp/err" >&2
  exit 1
fi
echo "testing $url with $chromium; screenshots in $artifacts"

PORTSCOPE_URL="$url" CHROMIUM="$chromium" ARTIFACTS="$artifacts" \
  timeout 150 node --test --test-reporter=spec "$here/browser.test.mjs"
