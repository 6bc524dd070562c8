#!/usr/bin/env bash
# Create .venv and install what the project needs; safe to run again (it skips what is done).
#   bash scripts/setup.sh        runtime only (the app)
#   bash scripts/setup.sh dev    plus tests, linters, and Debian's Chromium and HAProxy for the browser
#                                tests (the second runs deploy/haproxy.cfg in tests/e2e/test_deploy.py)
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-app}
python=${PYTHON:-python3}

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
  echo "setup: '$*' needs root; run it by hand" >&2; return 1; fi; }

if [ ! -x .venv/bin/python ]; then
  if ! "$python" -m venv .venv 2>/dev/null; then
    # Debian's own Python ships venv separately.
    rm -rf .venv
    as_root apt-get update -q && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv
    "$python" -m venv .venv
  fi
fi

requirements=requirements.txt
[ "$mode" = dev ] && requirements=requirements-dev.txt
stamp=".venv/.installed-$(cat requirements.txt "$requirements" | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install -q --disable-pip-version-check -r "$requirements"
  touch "$stamp"
fi

missing=()
if [ "$mode" = dev ]; then
  # Playwright drives Debian's Chromium (`playwright install` cannot download here).
  command -v chromium >/dev/null || missing+=(chromium)
  command -v haproxy >/dev/null || [ -x /usr/sbin/haproxy ] || missing+=(haproxy)
  # Node runs ui/numpy_repr.js against NumPy's own repr (tests/viz/test_numpy_repr_js.py).
  command -v node >/dev/null || missing+=(nodejs)
fi
if [ ${#missing[@]} -gt 0 ]; then
  as_root apt-get update -q
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
fi
