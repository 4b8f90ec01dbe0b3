/* SPDX-License-Identifier: BSD-3-Clause */
/* L2 bridge configuration (control thread): port VLAN modes, VLAN settings,
 * their part of the datapath snapshot and of the running config. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctrl/cli/cli.h"
#include "ctrl/config/config.h"
#include "dataplane/worker.h"
#include "drivers/port.h"
#include "pipelines/l2/l2.h"
#include "pipelines/l2/l2_dp.h"

#define DEFAULT_VLAN 1

struct sl_l2_port sl_l2_ports[SL_MAX_PORTS];
struct sl_l2_vlan sl_l2_vlans[SL_VLAN_COUNT];

#define ERR(fmt, ...) snprintf(err, SL_ERR_MAX, fmt, ##__VA_ARGS__)

static inline bool
bit_test(const uint64_t *bm, unsigned int i)
{
	return (bm[i / 64] >> (i % 64)) & 1;
}

static inline void
bit_set(uint64_t *bm, unsigned int i)
{
	bm[i / 64] |= UINT64_C(1) << (i % 64);
}

/* One item of a VLAN list: "V" or "LO-HI", each 1-4094, LO <= HI. */
static int
vlan_item(const char *item, unsigned int *lo, unsigned int *hi, char *err)
{
	char buf[32], *dash;
	uint32_t a, b;

	if (strlen(item) >= sizeof(buf))
		goto bad;
	strcpy(buf, item);
	dash = strchr(buf, '-');
	if (dash != NULL)
		*dash++ = '\0';
	if (sl_parse_u32(buf, 0, UINT32_MAX, &a) < 0 ||
			(dash != NULL && sl_parse_u32(dash, 0, UINT32_MAX, &b) < 0))
		goto bad;
	if (dash == NULL)
		b = a;
	if (a < 1 || b > 4094 || a > b) {
		ERR("vlan %s out of range 1-4094%s", item, a > b ? " (or reversed)" : "");
		return -ERANGE;
	}
	*lo = a;
	*hi = b;
	return 0;
bad:
	ERR("bad VLAN list item '%s' (e.g. 10,20,100-199)", item);
	return -EINVAL;
}

int
sl_vlan_list_parse(const char *s, uint64_t *bm, char *err)
{
	const char *p = s;

	memset(bm, 0, SL_VLAN_COUNT / 8);
	for (;;) {
		size_t len = strcspn(p, ",");
		char item[32];
		unsigned int lo, hi;
		int rc;

		/* empty items: "", ",10", "10,,20", "10," */
		if (len == 0 || len >= sizeof(item)) {
			ERR("bad VLAN list '%s' (e.g. 10,20,100-199)", s);
			return -EINVAL;
		}
		memcpy(item, p, len);
		item[len] = '\0';
		rc = vlan_item(item, &lo, &hi, err);
		if (rc < 0)
			return rc;
		for (unsigned int v = lo; v <= hi; v++)
			bit_set(bm, v);
		p += len;
		if (*p == '\0')
			return 0;
		p++;	/* the ',' */
	}
}

void
sl_vlan_list_format(const uint64_t *bm, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (unsigned int v = 1; v < SL_VLAN_COUNT && n < len; v++) {
		unsigned int hi = v;

		if (!bit_test(bm, v))
			continue;
		while (hi + 1 < SL_VLAN_COUNT && bit_test(bm, hi + 1))
			hi++;
		if (hi == v)
			n += snprintf(buf + n, len - n, "%s%u", n ? "," : "", v);
		else
			n += snprintf(buf + n, len - n, "%s%u-%u", n ? "," : "", v, hi);
		v = hi;
	}
}

void
sl_l2_reset(void)
{
	char err[SL_ERR_MAX];

	memset(sl_l2_vlans, 0, sizeof(sl_l2_vlans));
	sl_l2_set_ageing(SL_AGEING_DEFAULT_S, err);
	sl_l2_set_global_mac_limit(0, err);
	sl_fdb_flush(0, SL_PORT_NONE, true);
}

void
sl_l2_port_added(unsigned int idx)
{
	struct sl_l2_port *lp = &sl_l2_ports[idx];

	memset(lp, 0, sizeof(*lp));
	lp->mode = SL_VLAN_MODE_ACCESS;
	lp->pvid = DEFAULT_VLAN;
}

void
sl_l2_port_removed(unsigned int idx, uint16_t port_id)
{
	sl_fdb_flush(0, port_id, true);
	memset(&sl_l2_ports[idx], 0, sizeof(sl_l2_ports[idx]));
}

void
sl_l2_port_link_down(uint16_t port_id)
{
	sl_fdb_flush(0, port_id, false);
}

static bool
member(const struct sl_l2_port *lp, unsigned int v, bool *tagged)
{
	switch (lp->mode) {
	case SL_VLAN_MODE_ACCESS:
		*tagged = false;
		return lp->pvid == v;
	case SL_VLAN_MODE_TRUNK:
		*tagged = lp->pvid != v;
		return lp->pvid == v || bit_test(lp->allowed, v);
	default:
		return false;
	}
}

bool
sl_l2_port_in_vlan(unsigned int idx, uint16_t vlan)
{
	bool tagged;

	return member(&sl_l2_ports[idx], vlan, &tagged);
}

void
sl_l2_snapshot_fill(struct sl_snapshot *s)
{
	for (unsigned int v = 0; v < SL_VLAN_COUNT; v++)
		s->vlans[v].flood_unknown = !sl_l2_vlans[v].flood_off;
	for (unsigned int i = 0; i < SL_MAX_PORTS; i++) {
		const struct sl_port *p = &sl_ports[i];
		const struct sl_l2_port *lp = &sl_l2_ports[i];
		struct sl_dp_port *dp;

		if (!p->used)
			continue;
		dp = &s->ports[p->port_id];
		dp->mode = lp->mode;
		dp->pvid = lp->pvid;
		dp->max_len = p->mtu + RTE_ETHER_HDR_LEN;
		for (unsigned int v = 1; v < SL_VLAN_COUNT - 1; v++) {
			bool tagged;

			if (!member(lp, v, &tagged))
				continue;
			s->vlans[v].members |= UINT64_C(1) << p->port_id;
			if (tagged)
				s->vlans[v].tagged |= UINT64_C(1) << p->port_id;
		}
	}
}

/* Apply a new L2 config to port idx; on failure the old one stays. */
static int
port_apply(unsigned int idx, const struct sl_l2_port *nl, char *err)
{
	struct sl_l2_port old = sl_l2_ports[idx];
	int rc;

	sl_l2_ports[idx] = *nl;
	rc = sl_dp_commit(err);
	if (rc < 0) {
		sl_l2_ports[idx] = old;
		return rc;
	}
	/* Entries learned in VLANs the port left would forward into a VLAN it
	 * is no longer in: flush the port's learned entries. */
	if (old.mode != nl->mode || old.pvid != nl->pvid ||
			memcmp(old.allowed, nl->allowed, sizeof(old.allowed)))
		sl_fdb_flush(0, sl_ports[idx].port_id, false);
	return 0;
}

int
sl_l2_port_set_access(unsigned int idx, uint16_t vlan, char *err)
{
	struct sl_l2_port nl = sl_l2_ports[idx];

	nl.mode = SL_VLAN_MODE_ACCESS;
	nl.pvid = vlan;
	memset(nl.allowed, 0, sizeof(nl.allowed));
	return port_apply(idx, &nl, err);
}

int
sl_l2_port_set_trunk(unsigned int idx, const uint64_t *allowed, uint16_t native, char *err)
{
	struct sl_l2_port nl = sl_l2_ports[idx];

	nl.mode = SL_VLAN_MODE_TRUNK;
	nl.pvid = native;
	memcpy(nl.allowed, allowed, sizeof(nl.allowed));
	return port_apply(idx, &nl, err);
}

int
sl_l2_port_set_none(unsigned int idx, char *err)
{
	struct sl_l2_port nl = sl_l2_ports[idx];

	nl.mode = SL_VLAN_MODE_NONE;
	nl.pvid = 0;
	memset(nl.allowed, 0, sizeof(nl.allowed));
	return port_apply(idx, &nl, err);
}

int
sl_l2_port_set_mac_limit(unsigned int idx, uint32_t limit, char *err)
{
	uint32_t old = sl_l2_ports[idx].mac_limit;
	int rc;

	sl_l2_ports[idx].mac_limit = limit;
	rc = sl_dp_commit(err);
	if (rc < 0)
		sl_l2_ports[idx].mac_limit = old;
	return rc;
}

int
sl_l2_vlan_set_flood(uint16_t vlan, bool on, char *err)
{
	bool old = sl_l2_vlans[vlan].flood_off;
	int rc;

	sl_l2_vlans[vlan].flood_off = !on;
	rc = sl_dp_commit(err);
	if (rc < 0)
		sl_l2_vlans[vlan].flood_off = old;
	return rc;
}

static void
render_l2(json_t *lines)
{
	char buf[256], list[160];

	for (unsigned int i = 0; i < SL_MAX_PORTS; i++) {
		const struct sl_port *p = &sl_ports[i];
		const struct sl_l2_port *lp = &sl_l2_ports[i];

		if (!p->used)
			continue;
		buf[0] = '\0';
		if (lp->mode == SL_VLAN_MODE_NONE) {
			snprintf(buf, sizeof(buf), "port set %s vlan none", p->name);
		} else if (lp->mode == SL_VLAN_MODE_ACCESS && lp->pvid != DEFAULT_VLAN) {
			snprintf(buf, sizeof(buf), "port set %s vlan access %u", p->name, lp->pvid);
		} else if (lp->mode == SL_VLAN_MODE_TRUNK) {
			int n;

			sl_vlan_list_format(lp->allowed, list, sizeof(list));
			n = snprintf(buf, sizeof(buf), "port set %s vlan trunk %s", p->name,
				list[0] ? list : "none");
			if (lp->pvid)
				snprintf(buf + n, sizeof(buf) - n, " native %u", lp->pvid);
		}
		if (buf[0])
			json_array_append_new(lines, json_string(buf));
		if (lp->mac_limit) {
			snprintf(buf, sizeof(buf), "port set %s mac-limit %u", p->name,
				lp->mac_limit);
			json_array_append_new(lines, json_string(buf));
		}
	}
	for (unsigned int v = 1; v < SL_VLAN_COUNT - 1; v++)
		if (sl_l2_vlans[v].flood_off) {
			snprintf(buf, sizeof(buf), "vlan set %u flood off", v);
			json_array_append_new(lines, json_string(buf));
		}
	if (sl_l2_ageing() != SL_AGEING_DEFAULT_S) {
		snprintf(buf, sizeof(buf), "bridge set ageing %u", sl_l2_ageing());
		json_array_append_new(lines, json_string(buf));
	}
	if (sl_l2_global_mac_limit()) {
		snprintf(buf, sizeof(buf), "bridge set mac-limit %u", sl_l2_global_mac_limit());
		json_array_append_new(lines, json_string(buf));
	}
	for (uint32_t i = 0; sl_fdb_entries != NULL && i < sl_fdb_scan_limit(); i++) {
		const struct sl_fdb_entry *e = &sl_fdb_entries[i];
		struct rte_ether_addr mac;
		char macs[RTE_ETHER_ADDR_FMT_SIZE];
		int pi;

		if ((e->flags & (SL_FDB_F_USED | SL_FDB_F_STATIC | SL_FDB_F_DYING)) !=
				(SL_FDB_F_USED | SL_FDB_F_STATIC))
			continue;
		pi = sl_port_idx_by_id(e->port);
		if (pi < 0)
			continue;
		sl_fdb_key_mac(e->key, &mac);
		sl_mac_format(macs, sizeof(macs), &mac);
		snprintf(buf, sizeof(buf), "fdb add %u %s %s", sl_fdb_key_vlan(e->key), macs,
			sl_ports[pi].name);
		json_array_append_new(lines, json_string(buf));
	}
}
SL_CONFIG_SECTION("l2", 20, render_l2)
