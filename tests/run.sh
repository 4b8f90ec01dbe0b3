#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The whole test run: host set-up, build, C unit tests, then the pytest integration tests.
# Stops at the first failure; when it gets that far, pytest's summary is the last line printed.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

bash deploy/setup.sh

if [ ! -f build/build.ninja ]; then
	meson setup build
fi
ninja -C build -j2

meson test -C build --print-errorlogs --suite unit

# Debian's python3-pytest and python3-scapy (deploy/setup.sh) belong to /usr/bin/python3; a
# python3 earlier in PATH (pyenv, a venv) is used only when it has both.
PY=python3
if ! "$PY" -c 'import pytest, scapy' >/dev/null 2>&1; then
	PY=/usr/bin/python3
fi

# pytest exits 5 when it collects no tests; that is a failure here too, so its status is ours.
exec "$PY" -m pytest -v tests/integration
