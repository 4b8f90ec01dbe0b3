#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The whole test run: host set-up, build, C unit tests, then the pytest integration tests and the
# vhost-user end-to-end tests (tests/e2e: QEMU guests and testpmd, about 2.5 min).
# Stops at the first failure; when it gets that far, pytest's summary is the last line printed.
# Usage: bash tests/run.sh [--no-e2e | --e2e]
#   --no-e2e  leave out tests/e2e (a quicker run; CI runs everything)
#   --e2e     only tests/e2e after the build (what `make e2e` runs)
set -euo pipefail

SUITES=(tests/integration tests/e2e)
for arg in "$@"; do
	case "$arg" in
	--no-e2e) SUITES=(tests/integration) ;;
	--e2e) SUITES=(tests/e2e) ;;
	*)
		echo "run.sh: unknown argument '$arg' (--no-e2e, --e2e)" >&2
		exit 2
		;;
	esac
done

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
exec "$PY" -m pytest -v "${SUITES[@]}"
