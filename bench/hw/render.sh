#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Renders the hardware profiles (bench/hw/**/*.in) for one pair of servers:
#   bash bench/hw/render.sh SITE_ENV OUTDIR
# Every @KEY@ in a template is replaced by KEY from SITE_ENV (see
# site.env.example); a template that names a key SITE_ENV lacks is an error.
# OUTDIR gets sluice/*.cmds, pktgen/*.pkt and sweep.lua, testpmd.sh, guest/*.sh
# and apply.sh.
set -euo pipefail

die() {
	printf 'render: %s\n' "$*" >&2
	exit 1
}

[ $# -eq 2 ] || die "usage: bash bench/hw/render.sh SITE_ENV OUTDIR"
env_file=$1
out=$2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[ -r "$env_file" ] || die "$env_file: not readable (start from $here/site.env.example)"

declare -A val
while IFS= read -r line || [ -n "$line" ]; do
	line=${line%%#*}
	line=${line%"${line##*[![:space:]]}"}
	[ -n "$line" ] || continue
	[[ $line =~ ^([A-Z0-9_]+)=(.*)$ ]] || die "$env_file: not KEY=value: $line"
	val[${BASH_REMATCH[1]}]=${BASH_REMATCH[2]}
done <"$env_file"

mkdir -p "$out"
while IFS= read -r -d '' tpl; do
	rel=${tpl#"$here"/}
	dst="$out/${rel%.in}"
	mkdir -p "$(dirname "$dst")"
	text=$(<"$tpl")
	for key in $(grep -o '@[A-Z0-9_]*@' "$tpl" | sort -u | tr -d @); do
		[ -n "${val[$key]+set}" ] || die "$rel needs $key, which $env_file does not set"
		text=${text//@$key@/${val[$key]}}
	done
	printf '%s\n' "$text" >"$dst"
	case "$dst" in *.sh) chmod +x "$dst" ;; esac
	printf 'render: %s\n' "$dst"
done < <(find "$here" -name '*.in' -print0 | sort -z)
# Files without placeholders, beside the rendered ones.
for f in apply.sh pktgen/sweep.lua guest/pvp-guest.sh; do
	mkdir -p "$out/$(dirname "$f")"
	cp "$here/$f" "$out/$f"
	printf 'render: %s\n' "$out/$f"
done
