#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# docs/cli.md must be exactly what `sluiced --commands-md` prints: the command
# table is the one source of truth for help and docs.
set -euo pipefail
sluiced=$1
doc=$2
if ! diff -u "$doc" <("$sluiced" --commands-md); then
	echo "docs/cli.md is stale: regenerate with: build/sluiced --commands-md > docs/cli.md" >&2
	exit 1
fi
