#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Benchmark entry point (`make bench`): host set-up and build, then the harness bench/bench.py.
# Usage: bash bench/run.sh [--scenario xconnect,l2-trunk-access,l2-1m-macs,l2-flood,
#        vhost-vhost,pvp-style,ovs|all]
#        [--sizes 64,512,1518] [--reps 3] [--seconds 5] [--quick] [--csv PATH] [--no-docs]
#        [--no-build] [--help]
# The ovs scenario (also part of all) needs Open vSwitch with DPDK: this script installs it
# (deploy/setup.sh --with-ovs) when it is requested, and only then.
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
prev=
for arg in "$@"; do
	case "$arg" in
	--no-build) build=0 ;;
	--docs-only | -h | --help) build=0 setup=0 ;;
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

# The harness needs only the standard library, so any python3 will do.
exec python3 bench/bench.py "$@"
