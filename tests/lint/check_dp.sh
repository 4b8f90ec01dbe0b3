#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Hot-path lint (style rules 2 and 5): *_dp.c and *_dp.h run on worker lcores,
# so they must not allocate, free heap memory, lock, log, print or make syscalls.
#
#   check_dp.sh [ROOT]      check every *_dp.[ch] under ROOT (default: the repo)
#   check_dp.sh --self-test check that the checker flags what it must, and only that
#
# Comments and string literals are ignored. A line may opt out only with the
# marker "lint: idle-only" in a comment on that same line: the worker's idle
# back-off, which sleeps while offline from RCU, never per packet.
set -euo pipefail

MARKER='lint: idle-only'
# A tx queue shared by workers because a guest enabled fewer queues than there
# are workers (per burst, only then): the one lock the hot path may take.
MARKER2='lint: shared-txq'

# Called functions: NAME followed by "(".
CALLS='malloc|calloc|realloc|reallocarray|free|strdup|strndup|posix_memalign|aligned_alloc'
CALLS+='|rte_malloc|rte_zmalloc|rte_calloc|rte_realloc|rte_malloc_socket|rte_zmalloc_socket'
CALLS+='|rte_calloc_socket|rte_realloc_socket|rte_free|rte_memzone_reserve|rte_memzone_free'
CALLS+='|printf|fprintf|vprintf|vfprintf|dprintf|puts|fputs|putchar|perror|syslog|vsyslog'
CALLS+='|rte_log|rte_vlog|rte_hexdump|rte_pktmbuf_dump'
CALLS+='|write|read|writev|readv|pwrite|pread|send|recv|sendto|recvfrom|sendmsg|recvmsg'
CALLS+='|open|close|ioctl|poll|epoll_wait|select|fsync'
CALLS+='|sleep|usleep|nanosleep|clock_nanosleep|sched_yield|rte_delay_us_sleep'
# Identifiers banned wherever they appear (lock types and calls, log macros).
IDENTS='pthread_mutex_[a-z_]+|pthread_rwlock_[a-z_]+|pthread_spin_[a-z_]+|pthread_cond_[a-z_]+'
IDENTS+='|rte_spinlock_(recursive_)?(lock|trylock)|rte_rwlock_(read|write)_(lock|trylock)'
IDENTS+='|rte_mcslock_(lock|trylock)|rte_ticketlock_(lock|trylock)'
IDENTS+='|RTE_LOG[A-Z_]*|SL_LOG[A-Z_]*'

W='[A-Za-z0-9_]'
NW='(^|[^A-Za-z0-9_])'
RE="${NW}(${CALLS})[[:space:]]*\\(|${NW}(${IDENTS})(${W}*)?([^A-Za-z0-9_]|\$)"

# Print the file with comments and string/char literals blanked, one output
# line per input line, so line numbers stay true.
strip_c() {
	awk '
	BEGIN { inc = 0 }
	{
		s = $0; n = length(s); out = ""; i = 1
		while (i <= n) {
			c = substr(s, i, 1); c2 = substr(s, i, 2)
			if (inc) {
				if (c2 == "*/") { inc = 0; i += 2; out = out " " } else i++
				continue
			}
			if (c2 == "/*") { inc = 1; i += 2; continue }
			if (c2 == "//") break
			if (c == "\"" || c == "\047") {
				q = c; i++
				while (i <= n) {
					d = substr(s, i, 1)
					if (d == "\\") { i += 2; continue }
					i++
					if (d == q) break
				}
				out = out q q
				continue
			}
			out = out c; i++
		}
		print out
	}' "$1"
}

# check_files FILE...: print offending lines as FILE:LINE: TEXT; 1 if any.
check_files() {
	local f hits=0 ln raw
	for f in "$@"; do
		while IFS=: read -r ln _; do
			raw=$(sed -n "${ln}p" "$f")
			if [[ "$raw" == *"$MARKER"* || "$raw" == *"$MARKER2"* ]]; then
				continue
			fi
			printf '%s:%s: %s\n' "$f" "$ln" "$raw"
			hits=$((hits + 1))
		done < <(strip_c "$f" | grep -nE -- "$RE" || true)
	done
	[ "$hits" -eq 0 ]
}

check_tree() {
	local root=$1 files=()
	cd "$root"
	mapfile -t files < <(find . -mindepth 1 \
		\( -type d \( -name '.*' -o -path './build*' \) -prune \) -o \
		\( -type f \( -name '*_dp.c' -o -name '*_dp.h' \) -print \) | sort)
	if [ "${#files[@]}" -eq 0 ]; then
		echo "check_dp: no *_dp.c or *_dp.h under $root" >&2
		return 1
	fi
	if ! check_files "${files[@]}"; then
		echo "check_dp: forbidden call on the hot path (allocation, lock, log, print or" \
			"syscall) in the lines above; only the idle back-off may opt out with" \
			"/* $MARKER */" >&2
		return 1
	fi
	echo "check_dp: ${#files[@]} files clean: ${files[*]}"
}

self_test() {
	local d out want
	d=$(mktemp -d)
	trap 'rm -rf "$d"' RETURN
	cat >"$d/bad_dp.c" <<'EOF'
void *p = malloc(10);
free (p);
rte_free(x);
x = rte_zmalloc_socket("a", 1, 0, 0);
pthread_mutex_lock(&m);
rte_spinlock_lock(&l);
printf("x");
RTE_LOG(ERR, EAL, "x");
SL_LOG(ERR, "x");
syslog(LOG_ERR, "x");
write(1, b, 1);
n = read(fd, b, 1);
usleep(10);
usleep(10); /* idle, but without the marker */
	if (x) { SL_LOG_RATELIMIT(ERR, "y"); }
EOF
	cat >"$d/ok_dp.h" <<'EOF'
rte_pktmbuf_free(m);
rte_pktmbuf_free_bulk(p, n);
/* no malloc() or printf() here */
// free(p); SL_LOG(ERR, "x");
s = "free(p); printf(";
c = '(';
/* a comment
 * spanning lines with rte_free(x) and usleep(1)
 */ n = my_read(x) + thread_free(y) + freed(z) + rte_ring_read_x(r);
usleep(w->sleep_us); /* lint: idle-only */
rte_rcu_qsbr_quiescent(v, id);
EOF
	want=$(for i in $(seq 1 15); do echo "$d/bad_dp.c:$i"; done)
	if out=$(check_files "$d/bad_dp.c" "$d/ok_dp.h"); then
		echo "self-test: bad file passed" >&2
		return 1
	fi
	out=$(printf '%s\n' "$out" | cut -d: -f1,2)
	if [ "$out" != "$want" ]; then
		echo "self-test: flagged lines differ" >&2
		echo "want:" >&2
		echo "$want" >&2
		echo "got:" >&2
		echo "$out" >&2
		return 1
	fi
	if ! check_files "$d/ok_dp.h" >/dev/null; then
		echo "self-test: clean file flagged:" >&2
		check_files "$d/ok_dp.h" >&2 || true
		return 1
	fi
	echo "check_dp self-test: ok"
}

case "${1:-}" in
--self-test)
	self_test
	;;
*)
	check_tree "${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
	;;
esac
