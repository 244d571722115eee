#!/usr/bin/env bash
# Set-up shared by every npm command: installs what the project needs on a fresh Debian machine.
#   dev/setup.sh          node_modules (npm ci when the lock file changed) and redis-server
#   dev/setup.sh --test   the same, plus Debian's chromium for the browser tests
set -euo pipefail
cd "$(dirname "$0")/.."

want_browser=0
[ "${1:-}" = "--test" ] && want_browser=1

stamp=node_modules/.edgeq-installed
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  echo "edgeq setup: npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error
  touch "$stamp"
fi

apt_packages=()
command -v redis-server >/dev/null 2>&1 || apt_packages+=(redis-server)
command -v redis-benchmark >/dev/null 2>&1 || apt_packages+=(redis-tools)
if [ "$want_browser" = 1 ] && [ ! -x /usr/bin/chromium ]; then apt_packages+=(chromium); fi

if [ ${#apt_packages[@]} -gt 0 ]; then
  echo "edgeq setup: installing ${apt_packages[*]} from Debian's packages" >&2
  sudo_cmd=()
  [ "$(id -u)" = 0 ] || sudo_cmd=(sudo)
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "edgeq setup: cannot install ${apt_packages[*]}: no apt-get here; install them by hand" >&2
    exit 1
  fi
  if ! { "${sudo_cmd[@]}" apt-get update -qq && DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${apt_packages[@]}" >/dev/null; }; then
    echo "edgeq setup: apt-get could not install ${apt_packages[*]}; install them by hand and run again" >&2
    exit 1
  fi
fi
