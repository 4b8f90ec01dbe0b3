#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Inside the PVP guest (guest/qemu-pvp.sh): hugepages, the two virtio-net
# devices bound to vfio-pci (no IOMMU in the guest), then testpmd forwarding
# between them with MACs swapped, one core per direction:
#   vm0 (0000:00:04.0) <-> vm1 (0000:00:05.0), --forward-mode=macswap
# Needs DPDK (dpdk-testpmd, dpdk-devbind.py) in the guest, run as root.
set -euo pipefail

echo 1024 >/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
modprobe vfio-pci
echo 1 >/sys/module/vfio/parameters/enable_unsafe_noiommu_mode
dpdk-devbind.py -b vfio-pci 0000:00:04.0 0000:00:05.0
exec dpdk-testpmd -l 0-2 -a 0000:00:04.0 -a 0000:00:05.0 -- \
	--forward-mode=macswap --nb-cores=2 --rxd=1024 --txd=1024 \
	--stats-period 1 --auto-start
