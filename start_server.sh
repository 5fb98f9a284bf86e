#!/usr/bin/env bash
# Start the visualizer. First run: installs what is missing into .venv.
#   ./start_server.sh --demo          make the digits demo run + its TimeVis visualization if missing, then serve
#   ./start_server.sh [serve options] serve the runs under training_dynamic/ (see: ./start_server.sh --help)
#     serve options: --root DIR, --host ADDR, --port N, --threads N, --cors ORIGINS, --milvus URI,
#     --allow-host NAMES (host names answered besides loopback and --host; others are refused)
set -euo pipefail
cd "$(dirname "$0")"
source Tool/setup_env.sh
ensure_env requirements.txt

if [ "${1:-}" = "--demo" ]; then
  shift
  echo "== demo run: training_dynamic/digits (resumes if interrupted)"
  "$TTVIS_PYTHON" -m ttvis demo --out training_dynamic/digits
  echo "== TimeVis visualization of the demo run (resumes if interrupted)"
  "$TTVIS_PYTHON" -m ttvis train training_dynamic/digits --method timevis
fi
exec "$TTVIS_PYTHON" -m ttvis serve "$@"
