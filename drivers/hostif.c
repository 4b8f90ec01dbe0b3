/* SPDX-License-Identifier: BSD-3-Clause */
/* Host interfaces (control thread): one Linux TAP per paired router interface,
 * its fd in the control loop. Frames flow TAP -> sl_l3_iface_output and
 * sl_l3_host_rx -> TAP; MAC, MTU and carrier follow the interface. */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <linux/if_tun.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "ctrl/config/config.h"
#include "ctrl/loop/loop.h"
#include "drivers/hostif.h"
#include "dataplane/worker.h"
#include "drivers/port.h"
#include "pipelines/l3/l3.h"

#define TAP_BURST 64		/* frames read per wake-up: the inject ring holds 4096 */
#define TAP_FRAME_MAX 65550	/* a TAP MTU of 65535 plus the Ethernet header */
#define TAP_RETRY_S 5		/* a TAP that failed is created again this often */
#define IOV_MAX_SEGS 32

struct hostif {
	bool used;
	char iface_name[SL_NAME_MAX];
	int iface;		/* cached index in sl_ifaces[], checked by name */
	char tap[SL_HOSTIF_NAME_MAX];
	bool tap_given;		/* name given by the operator (else the default) */
	uint32_t ifindex;	/* 0 while the TAP is not open */
	struct sl_loop_src src;
	/* What the TAP has (set by us or seen through netlink): the 1 s watch
	 * pushes the interface's value only when it differs from these, so a
	 * change made on the host side is never overwritten before netlink
	 * brings it to the interface. */
	uint32_t mtu;
	struct rte_ether_addr mac;
	int carrier;		/* -1: not set yet */
	uint32_t retry_at;	/* sl_now_s when a failed TAP is retried */
	char error[96];		/* why the TAP is not open */
	struct {
		uint64_t to_host, to_host_bytes, to_host_errors;
		uint64_t from_host, from_host_bytes, from_host_runts, from_host_no_mbuf;
		uint64_t read_errors;
	} st;
};

static struct hostif hifs[SL_IFACE_MAX];
static int ctl_fd = -1;		/* AF_INET datagram socket for SIOCSIF* ioctls */
static uint64_t unpaired;	/* frames for an interface without a host interface */
static uint8_t frame[TAP_FRAME_MAX];
uint32_t sl_hostif_generation;

#define ERR(fmt, ...) snprintf(err, SL_ERR_MAX, fmt, ##__VA_ARGS__)

/* The interface of h, looked up again by name when the cached index no
 * longer names it (interfaces deleted and re-added); -1 if it is gone. */
static int
hif_iface(struct hostif *h)
{
	int idx;

	if (h->iface >= 0 && h->iface < SL_IFACE_MAX && sl_ifaces[h->iface].used &&
			strcmp(sl_ifaces[h->iface].name, h->iface_name) == 0)
		return h->iface;
	idx = sl_iface_by_name(h->iface_name);
	h->iface = idx >= 0 ? idx : -1;
	return h->iface;
}

static struct hostif *
hif_of_iface(int iface)
{
	if (iface < 0 || iface >= SL_IFACE_MAX || !sl_ifaces[iface].used)
		return NULL;
	for (unsigned int i = 0; i < SL_IFACE_MAX; i++)
		if (hifs[i].used && hif_iface(&hifs[i]) == iface)
			return &hifs[i];
	return NULL;
}

static uint32_t
iface_mtu(int iface)
{
	return sl_ifaces[iface].mtu ? sl_ifaces[iface].mtu : sl_ports[sl_ifaces[iface].port].mtu;
}

static void
iface_mac(int iface, struct rte_ether_addr *mac)
{
	if (sl_ifaces[iface].mac_set)
		*mac = sl_ifaces[iface].mac;
	else if (rte_eth_macaddr_get(sl_ports[sl_ifaces[iface].port].port_id, mac) < 0)
		memset(mac, 0, sizeof(*mac));
}

static bool
tap_name_valid(const char *s)
{
	size_t n = strlen(s);

	/* What the kernel takes (dev_valid_name), narrowed to the CLI's names. */
	if (n == 0 || n >= SL_HOSTIF_NAME_MAX || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
				(ch >= '0' && ch <= '9') || ch == '_' || ch == '.' || ch == '-'))
			return false;
	}
	return true;
}

static int
ifreq_ioctl(const char *tap, unsigned long req, struct ifreq *ifr)
{
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", tap);
	if (ctl_fd < 0) {
		ctl_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (ctl_fd < 0)
			return -errno;
	}
	return ioctl(ctl_fd, req, ifr) < 0 ? -errno : 0;
}

static int
tap_set_mtu(struct hostif *h, uint32_t mtu)
{
	struct ifreq ifr = { .ifr_mtu = (int)mtu };
	int rc = ifreq_ioctl(h->tap, SIOCSIFMTU, &ifr);

	if (rc == 0)
		h->mtu = mtu;
	else
		SL_LOG(WARNING, "host-if %s: cannot set MTU %u: %s", h->tap, mtu, strerror(-rc));
	return rc;
}

static int
tap_set_mac(struct hostif *h, const struct rte_ether_addr *mac)
{
	struct ifreq ifr = { 0 };
	int rc;

	ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
	memcpy(ifr.ifr_hwaddr.sa_data, mac, RTE_ETHER_ADDR_LEN);
	rc = ifreq_ioctl(h->tap, SIOCSIFHWADDR, &ifr);
	if (rc == 0)
		h->mac = *mac;
	else
		SL_LOG(WARNING, "host-if %s: cannot set MAC: %s", h->tap, strerror(-rc));
	return rc;
}

static void
tap_set_carrier(struct hostif *h, bool up)
{
	int on = up;

	if (h->src.fd < 0 || h->carrier == on)
		return;
	if (ioctl(h->src.fd, TUNSETCARRIER, &on) < 0) {
		SL_LOG(WARNING, "host-if %s: cannot set carrier: %s", h->tap, strerror(errno));
		return;
	}
	h->carrier = on;
}

/* remove: the TAP goes from the kernel too (else it waits, carrier off,
 * for the next run to attach). */
static void
tap_close(struct hostif *h, bool remove)
{
	if (h->src.fd >= 0) {
		sl_loop_del(&h->src);
		if (remove && ioctl(h->src.fd, TUNSETPERSIST, 0) < 0)
			SL_LOG(WARNING, "host-if %s: cannot remove the TAP: %s", h->tap,
				strerror(errno));
		close(h->src.fd);
	}
	h->src.fd = -1;
	h->ifindex = 0;
	h->carrier = -1;
	sl_hostif_generation++;
}

/* Frame from the host: an mbuf (chained past one segment's room) out of
 * the paired interface. */
static struct rte_mbuf *
frame_mbuf(const uint8_t *data, size_t len)
{
	struct rte_mempool *mp = sl_port_pool(rte_socket_id());
	struct rte_mbuf *head, *seg;

	if (mp == NULL)
		return NULL;
	head = seg = rte_pktmbuf_alloc(mp);
	while (seg != NULL) {
		uint16_t n = (uint16_t)RTE_MIN(len, (size_t)rte_pktmbuf_tailroom(seg));

		memcpy(rte_pktmbuf_mtod(seg, uint8_t *), data, n);
		seg->data_len = n;
		head->pkt_len += n;
		data += n;
		len -= n;
		if (len == 0)
			return head;
		seg->next = rte_pktmbuf_alloc(mp);
		seg = seg->next;
		if (seg != NULL)
			head->nb_segs++;
	}
	rte_pktmbuf_free(head);
	return NULL;
}

static void
on_tap(struct sl_loop_src *src, uint32_t events)
{
	struct hostif *h = container_of(src, struct hostif, src);

	RTE_SET_USED(events);
	for (unsigned int i = 0; i < TAP_BURST && src->fd >= 0; i++) {
		ssize_t n = read(src->fd, frame, sizeof(frame));
		struct rte_mbuf *m;
		int iface;

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			/* The device went away under us (ip link del): the
			 * watch creates it again. */
			h->st.read_errors++;
			snprintf(h->error, sizeof(h->error), "read: %s", strerror(errno));
			SL_LOG(WARNING, "host-if %s: %s; recreating it", h->tap, h->error);
			tap_close(h, false);
			h->retry_at = 0;
			return;
		}
		if ((size_t)n < RTE_ETHER_HDR_LEN) {
			h->st.from_host_runts++;
			continue;
		}
		iface = hif_iface(h);
		m = iface >= 0 ? frame_mbuf(frame, n) : NULL;
		if (m == NULL) {
			h->st.from_host_no_mbuf++;
			continue;
		}
		h->st.from_host++;
		h->st.from_host_bytes += n;
		sl_l3_iface_output(iface, m);
	}
}

/* sl_l3_host_rx: a frame for the router (as received) into the TAP, its
 * VLAN tags left out: the TAP stands for the interface, not the port. */
static void
host_rx(int iface, struct rte_mbuf *m, uint8_t l2_len)
{
	struct hostif *h = hif_of_iface(iface);
	struct iovec iov[IOV_MAX_SEGS + 1];
	unsigned int n = 0;
	ssize_t len = 0;

	if (h == NULL || h->src.fd < 0 || l2_len < RTE_ETHER_HDR_LEN || m->data_len < l2_len ||
			m->nb_segs > IOV_MAX_SEGS) {
		if (h == NULL)
			unpaired++;
		else
			h->st.to_host_errors++;
		rte_pktmbuf_free(m);
		return;
	}
	/* Destination and source, then from the last EtherType on. */
	iov[n].iov_base = rte_pktmbuf_mtod(m, uint8_t *);
	iov[n++].iov_len = 2 * RTE_ETHER_ADDR_LEN;
	iov[n].iov_base = rte_pktmbuf_mtod_offset(m, uint8_t *, l2_len - 2);
	iov[n++].iov_len = m->data_len - (l2_len - 2);
	for (struct rte_mbuf *s = m->next; s != NULL; s = s->next) {
		iov[n].iov_base = rte_pktmbuf_mtod(s, uint8_t *);
		iov[n++].iov_len = s->data_len;
	}
	for (unsigned int i = 0; i < n; i++)
		len += iov[i].iov_len;
	/* A TAP that is down answers EIO; a full one drops inside the kernel. */
	if (writev(h->src.fd, iov, n) != len) {
		h->st.to_host_errors++;
	} else {
		h->st.to_host++;
		h->st.to_host_bytes += len;
	}
	rte_pktmbuf_free(m);
}

/* Create the TAP of h and bring it to the interface's MAC, MTU and link. */
static int
tap_open(struct hostif *h, int iface, char *err)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
	struct rte_ether_addr mac;
	int fd, rc;

	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		ERR("host-if %s: cannot open /dev/net/tun: %s", h->tap, strerror(errno));
		return rc;
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", h->tap);
	/* Creates the TAP, or attaches to the one an earlier run left. */
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		rc = -errno;
		if (rc == -EINVAL)
			ERR("host-if %s: a kernel interface of that name exists and is not a TAP",
				h->tap);
		else if (rc == -EBUSY)
			ERR("host-if %s: the TAP is in use by another process", h->tap);
		else
			ERR("host-if %s: cannot create the TAP: %s", h->tap, strerror(errno));
		goto err_close;
	}
	/* Persistent: a restart (or a crash) of sluiced does not take the
	 * TAP, and the addresses and routes Linux and FRR hold on it, away;
	 * the next run attaches again and its first dump mirrors them. */
	if (ioctl(fd, TUNSETPERSIST, 1) < 0) {
		rc = -errno;
		ERR("host-if %s: cannot make the TAP persistent: %s", h->tap, strerror(errno));
		goto err_close;
	}
	h->src.fd = fd;
	h->carrier = -1;
	rc = ifreq_ioctl(h->tap, SIOCGIFINDEX, &ifr);
	if (rc < 0) {
		ERR("host-if %s: no ifindex: %s", h->tap, strerror(-rc));
		goto err_close;
	}
	h->ifindex = ifr.ifr_ifindex;
	iface_mac(iface, &mac);
	if (tap_set_mac(h, &mac) < 0 || tap_set_mtu(h, iface_mtu(iface)) < 0) {
		rc = -EINVAL;
		ERR("host-if %s: cannot set the TAP's MAC or MTU %u", h->tap, iface_mtu(iface));
		goto err_close;
	}
	tap_set_carrier(h, sl_ports[sl_ifaces[iface].port].link_up);
	memset(&ifr, 0, sizeof(ifr));
	rc = ifreq_ioctl(h->tap, SIOCGIFFLAGS, &ifr);
	if (rc == 0) {
		ifr.ifr_flags |= IFF_UP;
		rc = ifreq_ioctl(h->tap, SIOCSIFFLAGS, &ifr);
	}
	if (rc < 0) {
		ERR("host-if %s: cannot bring the TAP up: %s", h->tap, strerror(-rc));
		goto err_close;
	}
	h->src.cb = on_tap;
	rc = sl_loop_add(&h->src, EPOLLIN);
	if (rc < 0) {
		ERR("host-if %s: %s", h->tap, strerror(-rc));
		goto err_close;
	}
	h->error[0] = '\0';
	sl_hostif_generation++;
	return 0;

err_close:
	close(fd);
	h->src.fd = -1;
	h->ifindex = 0;
	return rc;
}

static bool
any_used(void)
{
	for (unsigned int i = 0; i < SL_IFACE_MAX; i++)
		if (hifs[i].used)
			return true;
	return false;
}

static void
hif_free(struct hostif *h, bool remove)
{
	tap_close(h, remove);
	h->used = false;
	if (!any_used())
		sl_l3_host_rx = NULL;
}

int
sl_hostif_add(int iface, const char *tap, char *err)
{
	const char *ifname = sl_ifaces[iface].name;
	struct hostif *h = hif_of_iface(iface), *slot = NULL;
	char name[SL_HOSTIF_NAME_MAX];
	int rc;

	SL_ASSERT_CTRL();
	if (tap == NULL) {
		if (strlen(ifname) + 3 >= sizeof(name)) {
			ERR("interface %s: host-if name sl-%s longer than 15 characters (give name "
				"TAP)", ifname, ifname);
			return -EINVAL;
		}
		/* Length checked above; the precision tells the compiler so. */
		snprintf(name, sizeof(name), "sl-%.12s", ifname);
	} else if (!tap_name_valid(tap)) {
		ERR("interface %s: bad host-if name '%s' (1-15 of A-Z a-z 0-9 _ . -)", ifname, tap);
		return -EINVAL;
	} else {
		snprintf(name, sizeof(name), "%s", tap);
	}
	if (h != NULL) {
		/* Same again (a replayed line): nothing to do. */
		if (strcmp(h->tap, name) == 0 && (tap != NULL) == h->tap_given)
			return 0;
		ERR("interface %s: already has host-if %s (turn it off first)", ifname, h->tap);
		return -EEXIST;
	}
	for (unsigned int i = 0; i < SL_IFACE_MAX; i++) {
		if (hifs[i].used && strcmp(hifs[i].tap, name) == 0) {
			ERR("interface %s: host-if name %s is used by interface %s", ifname, name,
				hifs[i].iface_name);
			return -EEXIST;
		}
		if (!hifs[i].used && slot == NULL)
			slot = &hifs[i];
	}
	if (slot == NULL) {
		ERR("interface %s: too many host interfaces", ifname);
		return -ENOSPC;
	}
	h = slot;
	memset(h, 0, sizeof(*h));
	h->src.fd = -1;
	h->iface = iface;
	h->tap_given = tap != NULL;
	snprintf(h->iface_name, sizeof(h->iface_name), "%s", ifname);
	snprintf(h->tap, sizeof(h->tap), "%s", name);
	rc = tap_open(h, iface, err);
	if (rc < 0)
		return rc;
	h->used = true;
	sl_l3_host_rx = host_rx;
	rc = sl_config_persist();
	if (rc < 0) {
		ERR("cannot persist config to %s: %s", sl_config_path(), strerror(-rc));
		hif_free(h, true);
		return rc;
	}
	SL_LOG(INFO, "interface %s: host-if %s (ifindex %u)", ifname, h->tap, h->ifindex);
	return 0;
}

int
sl_hostif_del(int iface, char *err)
{
	struct hostif *h = hif_of_iface(iface);
	int rc;

	SL_ASSERT_CTRL();
	if (h == NULL) {
		ERR("interface %s: has no host-if", sl_ifaces[iface].name);
		return -ENOENT;
	}
	h->used = false;
	rc = sl_config_persist();
	if (rc < 0) {
		h->used = true;
		ERR("cannot persist config to %s: %s", sl_config_path(), strerror(-rc));
		return rc;
	}
	hif_free(h, true);
	return 0;
}

void
sl_hostif_reset(void)
{
	for (unsigned int i = 0; i < SL_IFACE_MAX; i++)
		if (hifs[i].used)
			hif_free(&hifs[i], false);
	if (ctl_fd >= 0)
		close(ctl_fd);
	ctl_fd = -1;
}

int
sl_hostif_by_ifindex(uint32_t ifindex)
{
	for (unsigned int i = 0; i < SL_IFACE_MAX; i++)
		if (hifs[i].used && hifs[i].ifindex == ifindex && ifindex != 0)
			return hif_iface(&hifs[i]) >= 0 ? hifs[i].iface : -ENOENT;
	return -ENOENT;
}

uint32_t
sl_hostif_ifindex(int iface)
{
	struct hostif *h = hif_of_iface(iface);

	return h != NULL ? h->ifindex : 0;
}

int
sl_hostif_kernel_link(uint32_t ifindex)
{
	struct rte_ether_addr mac, cur;
	struct ifreq ifr = { 0 };
	char err[SL_ERR_MAX];
	struct hostif *h = NULL;
	uint32_t mtu;
	int iface;

	for (unsigned int i = 0; i < SL_IFACE_MAX && h == NULL; i++)
		if (hifs[i].used && hifs[i].ifindex == ifindex && ifindex != 0)
			h = &hifs[i];
	if (h == NULL || (iface = hif_iface(h)) < 0)
		return -ENOENT;
	/* The TAP as it is now, not as the message says: a notification
	 * queued since before we set the TAP up carries its first random MAC,
	 * which must not become the interface's. */
	if (ifreq_ioctl(h->tap, SIOCGIFMTU, &ifr) == 0) {
		mtu = ifr.ifr_mtu;
		if (mtu != h->mtu) {
			h->mtu = mtu;
			/* The range `interface set mtu` takes; a TAP can go further. */
			if (mtu != iface_mtu(iface) && mtu >= 68 && mtu <= 9600 &&
					sl_iface_set_mtu(iface, mtu, err) < 0)
				SL_LOG(WARNING, "host-if %s: MTU %u: %s", h->tap, mtu, err);
		}
	}
	memset(&ifr, 0, sizeof(ifr));
	if (ifreq_ioctl(h->tap, SIOCGIFHWADDR, &ifr) == 0) {
		memcpy(&mac, ifr.ifr_hwaddr.sa_data, RTE_ETHER_ADDR_LEN);
		if (!rte_is_same_ether_addr(&mac, &h->mac)) {
			h->mac = mac;
			iface_mac(iface, &cur);
			if (!rte_is_same_ether_addr(&mac, &cur) &&
					sl_iface_set_mac(iface, &mac, err) < 0)
				SL_LOG(WARNING, "host-if %s: MAC: %s", h->tap, err);
		}
	}
	return iface;
}

/* Once a second: interfaces gone take their TAP with them; carrier, MTU
 * and MAC follow the interface; a TAP that failed is tried again. */
static void
hostif_watch(void)
{
	uint32_t now = __atomic_load_n(&sl_now_s, __ATOMIC_RELAXED);

	for (unsigned int i = 0; i < SL_IFACE_MAX; i++) {
		struct hostif *h = &hifs[i];
		struct rte_ether_addr mac;
		char err[SL_ERR_MAX];
		int iface;

		if (!h->used)
			continue;
		iface = hif_iface(h);
		if (iface < 0) {
			SL_LOG(INFO, "host-if %s: interface %s is gone; TAP removed", h->tap,
				h->iface_name);
			hif_free(h, true);
			continue;
		}
		if (h->src.fd < 0) {
			if (now < h->retry_at)
				continue;
			h->retry_at = now + TAP_RETRY_S;
			if (tap_open(h, iface, err) < 0) {
				snprintf(h->error, sizeof(h->error), "%.95s", err);
				continue;
			}
		}
		tap_set_carrier(h, sl_ports[sl_ifaces[iface].port].link_up);
		if (iface_mtu(iface) != h->mtu)
			tap_set_mtu(h, iface_mtu(iface));
		iface_mac(iface, &mac);
		if (!rte_is_same_ether_addr(&mac, &h->mac))
			tap_set_mac(h, &mac);
	}
}
SL_LOOP_TIMER("host-if", hostif_watch)

json_t *
sl_hostif_json(void)
{
	json_t *a = json_array();

	for (unsigned int i = 0; i < SL_IFACE_MAX; i++) {
		struct hostif *h = &hifs[i];
		char mac[RTE_ETHER_ADDR_FMT_SIZE];

		if (!h->used)
			continue;
		sl_mac_format(mac, sizeof(mac), &h->mac);
		json_array_append_new(a, json_pack("{s:s, s:s, s:I, s:b, s:b, s:I, s:s, s:s, "
			"s:{s:I, s:I, s:I}, s:{s:I, s:I, s:I, s:I, s:I}}",
			"interface", h->iface_name, "tap", h->tap, "ifindex", (json_int_t)h->ifindex,
			"open", h->src.fd >= 0, "carrier", h->carrier == 1,
			"mtu", (json_int_t)h->mtu, "mac", mac, "error", h->error,
			"to_host", "frames", (json_int_t)h->st.to_host,
			"bytes", (json_int_t)h->st.to_host_bytes,
			"errors", (json_int_t)h->st.to_host_errors,
			"from_host", "frames", (json_int_t)h->st.from_host,
			"bytes", (json_int_t)h->st.from_host_bytes,
			"runts", (json_int_t)h->st.from_host_runts,
			"no_mbuf", (json_int_t)h->st.from_host_no_mbuf,
			"read_errors", (json_int_t)h->st.read_errors));
	}
	return json_pack("{s:o, s:I}", "host_ifs", a, "unpaired_frames", (json_int_t)unpaired);
}

/* ---- config -------------------------------------------------------------------- */

static void
render_hostif(json_t *lines)
{
	char buf[128];

	for (unsigned int i = 0; i < SL_IFACE_MAX; i++) {
		struct hostif *h = &hifs[i];

		if (!h->used || hif_iface(h) < 0)
			continue;
		if (h->tap_given)
			snprintf(buf, sizeof(buf), "interface set %s host-if on name %s",
				h->iface_name, h->tap);
		else
			snprintf(buf, sizeof(buf), "interface set %s host-if on", h->iface_name);
		json_array_append_new(lines, json_string(buf));
	}
}
SL_CONFIG_SECTION("host-if", 40, render_hostif)
