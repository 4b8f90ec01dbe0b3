#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Benchmark entry point (`make bench`): host set-up and build, then the harness bench/bench.py.
# Usage: bash bench/run.sh [--scenario xconnect,l2-trunk-access,l2-1m-macs,l2-flood,
#        vhost-vhost,pvp-style,ipv4-100k,ipv4-1m,ipv6-100k,ipv6-1m,scaling,fdb-learn,
#        route-churn,ovs|all]
#        [--sizes 64,512,1518] [--reps 3] [--seconds 5] [--quick] [--lcores 0-1]
#        [--workers 1,2,4,8] [--learn-macs 200000] [--csv PATH] [--no-docs] [--docs-only]
#        [--no-build] [--help]
# The ovs scenario (also part of all) needs Open vSwitch with DPDK: this script installs it
# (deploy/setup.sh --with-ovs) when it is requested, and only then. The plot on
# docs/performance.md needs python3-matplotlib, installed here when the page is to be
# written and it is missing; without it the page has no plot.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

die() {
	printf 'bench: %s\n' "$*" >&2
	exit 1
}

build=1
ovs=0
setup=1
docs=1
prev=
for arg in "$@"; do
	case "$arg" in
	--no-build) build=0 ;;
	--docs-only) build=0 setup=0 ;;
	-h | --help) build=0 setup=0 docs=0 ;;
	--no-docs) docs=0 ;;
	esac
	# --scenario LIST or --scenario=LIST naming ovs or all
	if [ "$prev" = "--scenario" ]; then
		list=$arg
	else
		list=${arg#--scenario=}
		[ "$list" != "$arg" ] || list=
	fi
	case ",$list," in
	*,ovs,* | *,all,*) ovs=1 ;;
	esac
	prev=$arg
done

if [ "$build" -eq 0 ] && [ "$setup" -eq 1 ] && [ "$ovs" -eq 1 ]; then
	[ "$(id -u)" -eq 0 ] || die "must run as root (packages, hugepages, /var/run/dpdk)"
	bash deploy/setup.sh --ovs-only
fi
if [ "$build" -eq 1 ]; then
	[ "$(id -u)" -eq 0 ] || die "must run as root (hugepages, /var/run/dpdk)"
	if [ "$ovs" -eq 1 ]; then
		bash deploy/setup.sh --with-ovs
	else
		bash deploy/setup.sh
	fi
	# The build under test, as in the integration suite: $SLUICE_BUILD, else build/.
	BUILD=${SLUICE_BUILD:-build}
	if [ ! -f "$BUILD/build.ninja" ]; then
		meson setup "$BUILD"
	fi
	ninja -C "$BUILD" -j2
fi

# Debian's python3: the harness needs only the standard library, but the plot needs
# python3-matplotlib, which a python3 of its own (pyenv, venv) on PATH does not see.
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
if [ "$docs" -eq 1 ] && ! "$PY" -c 'import matplotlib' 2>/dev/null; then
	if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
		printf 'bench: installing python3-matplotlib for the plot\n'
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
			python3-matplotlib >/dev/null ||
			printf 'bench: python3-matplotlib not installed: the page gets no plot\n' >&2
	else
		printf 'bench: no matplotlib for %s (root: apt-get install python3-matplotlib):' \
			"$PY" >&2
		printf ' the page gets no plot\n' >&2
	fi
fi
exec "$PY" bench/bench.py "$@"
