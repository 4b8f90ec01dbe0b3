#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Feeds a rendered Sluice profile (sluice/*.cmds) to a running sluiced, one
# sluicectl command a line, and stops at the first one it refuses:
#   bash apply.sh sluice/routing.cmds [sluicectl options, e.g. -s SOCKET]
# The same lines also work as sluiced's running config (-c FILE): start-up
# replays them before any port forwards a frame.
set -euo pipefail

[ $# -ge 1 ] || { echo "usage: bash apply.sh FILE [sluicectl options]" >&2; exit 1; }
file=$1
shift
while IFS= read -r line || [ -n "$line" ]; do
	case "$line" in '' | '#'*) continue ;; esac
	echo "+ sluicectl $* $line"
	# Word splitting is wanted: one command line, its words as arguments.
	# shellcheck disable=SC2086
	sluicectl "$@" $line
done <"$file"
