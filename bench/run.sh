#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Benchmark entry point (`make bench`): host set-up and build, then the harness bench/bench.py.
# Usage: bash bench/run.sh [--scenario xconnect|all] [--sizes 64,512,1518] [--reps 3]
#        [--seconds 5] [--quick] [--csv PATH] [--no-docs] [--no-build] [--help]
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

die() {
	printf 'bench: %s\n' "$*" >&2
	exit 1
}

build=1
for arg in "$@"; do
	case "$arg" in
	--no-build | --docs-only | -h | --help) build=0 ;;
	esac
done

if [ "$build" -eq 1 ]; then
	[ "$(id -u)" -eq 0 ] || die "must run as root (hugepages, /var/run/dpdk)"
	bash deploy/setup.sh
	# The build under test, as in the integration suite: $SLUICE_BUILD, else build/.
	BUILD=${SLUICE_BUILD:-build}
	if [ ! -f "$BUILD/build.ninja" ]; then
		meson setup "$BUILD"
	fi
	ninja -C "$BUILD" -j2
fi

# The harness needs only the standard library, so any python3 will do.
exec python3 bench/bench.py "$@"
