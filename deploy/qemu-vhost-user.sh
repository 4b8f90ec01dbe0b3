#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Example: a QEMU guest on a Sluice vhost-user port, Sluice in client mode
# (QEMU serves the socket; either side may restart). On the Sluice side:
#   sluicectl port add vm1 vhost-user client /run/sluice/vm1.sock queues 2
#   sluicectl port set vm1 vlan access 10
# Guest RAM must be shared with the backend: a memory backend with share=on
# and the -numa line. With KVM drop "-accel tcg" and use vectors=2*queues+2.
set -euo pipefail
SOCK=${SOCK:-/run/sluice/vm1.sock}
QUEUES=${QUEUES:-2}
exec qemu-system-x86_64 -accel tcg -m 1G -smp 2 -nographic \
	-kernel "${KERNEL:?path to a guest kernel}" -initrd "${INITRD:?path to an initrd}" \
	-append "console=ttyS0" \
	-object memory-backend-memfd,id=mem0,size=1G,share=on \
	-numa node,memdev=mem0 \
	-chardev socket,id=c0,path="$SOCK",server=on,wait=off \
	-netdev vhost-user,id=n0,chardev=c0,queues="$QUEUES" \
	-device virtio-net-pci,netdev=n0,mac=52:54:00:00:10:01,mq=on,vectors=0
