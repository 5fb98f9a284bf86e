#!/usr/bin/env bash
# Run the whole test suite. Installs what is missing first: .venv with the Python packages, and
# Debian's chromium for the browser tests. Extra arguments go to pytest (e.g. -k server).
set -euo pipefail
cd "$(dirname "$0")"
source Tool/setup_env.sh
ensure_env requirements-dev.txt

if [ ! -x /usr/bin/chromium ]; then
  echo "== installing chromium for the browser tests"
  if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else SUDO=none; fi
  if [ "$SUDO" != none ] && command -v apt-get >/dev/null; then
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null \
      || echo "could not install chromium; the browser tests will fail" >&2
  else
    echo "chromium is missing and cannot be installed here (needs root and apt-get): the browser tests will fail" >&2
  fi
fi

exec "$TTVIS_PYTHON" -m pytest Tool/tests "$@"
