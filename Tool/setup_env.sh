# Sourced by start_server.sh and run_tests.sh: make .venv and install what is missing.
# Usage: ensure_env REQUIREMENTS_FILE
ensure_env() {
  local req="$1" root venv stamp want
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  venv="$root/.venv"
  if ! command -v python3 >/dev/null 2>&1; then
    echo "python3 is required (3.9 or newer); install it and run this again." >&2; return 1
  fi
  if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 9))'; then
    echo "python3 is $(python3 -V 2>&1); 3.9 or newer is required." >&2; return 1
  fi
  if [ ! -x "$venv/bin/python" ]; then
    echo "== creating $venv"
    python3 -m venv "$venv" || { echo "could not create a virtual environment (on Debian/Ubuntu: apt-get install python3-venv)" >&2; return 1; }
  fi
  # Reinstall only when the requirement files change.
  want="$(cat "$root/requirements.txt" "$root/$req" "$root/Tool/pyproject.toml" | sha256sum | cut -c1-16)"
  stamp="$venv/.ttvis-installed-$(basename "$req" .txt)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "== installing Python packages from $req (first time takes a minute or two)"
    "$venv/bin/python" -m pip install --disable-pip-version-check -q -r "$root/$req" || return 1
    "$venv/bin/python" -m pip install --disable-pip-version-check -q --no-deps -e "$root/Tool" || return 1
    echo "$want" > "$stamp"
  fi
  export PATH="$venv/bin:$PATH"
  export TTVIS_PYTHON="$venv/bin/python"
}
