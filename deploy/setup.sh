#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Sluice host set-up: Debian packages, 2 MiB hugepages, hugetlbfs mount.
# Idempotent: safe to re-run; each step checks before it changes anything.
set -euo pipefail

HUGEPAGES=${SLUICE_HUGEPAGES:-1024}

PKGS=(
	build-essential meson ninja-build pkg-config git
	dpdk dpdk-dev libdpdk-dev libnuma-dev libbsd-dev libbpf-dev libpcap-dev
	libjansson-dev libcmocka-dev libmnl-dev
	librte-mempool-ring23 librte-net-af-packet23 librte-net-af-xdp23
	librte-net-null23 librte-net-pcap23 librte-net-ring23 librte-net-tap23
	librte-net-vhost23 librte-net-virtio23 librte-net-memif23 librte-net-e1000-23
	librte-net-ixgbe23 librte-net-i40e23 librte-net-ice23 librte-net-mlx5-23
	python3 python3-pytest python3-scapy iproute2 iputils-ping tcpdump procps
)

need_install() {
	local p
	for p in "${PKGS[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || return 0
	done
	return 1
}

if [ "$(id -u)" -ne 0 ]; then
	echo "setup: must run as root (packages, hugepages)" >&2
	exit 1
fi

if need_install; then
	echo "setup: installing packages"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	apt-get install -y -q --no-install-recommends "${PKGS[@]}"
fi

nr=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
if [ -w "$nr" ] && [ "$(cat "$nr")" -lt "$HUGEPAGES" ]; then
	echo "$HUGEPAGES" >"$nr" || true
fi
echo "setup: $(cat "$nr" 2>/dev/null || echo 0) x 2 MiB hugepages"

if ! mountpoint -q /dev/hugepages; then
	mkdir -p /dev/hugepages
	mount -t hugetlbfs nodev /dev/hugepages
fi
