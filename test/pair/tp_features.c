/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * tp_features.c - were the virtio features the run asked for really
 * negotiated? A run with in_order=1 that silently ran without IN_ORDER
 * would pass its traffic checks and test nothing it claims to test.
 *
 * Where the negotiated feature bits can be read:
 *  - Tandem's drivers: an xstat holding the 64-bit feature word, under one
 *    of the names in feature_xstat_names[] (the drivers do not expose one
 *    yet; the check starts working as soon as they do);
 *  - stock net_vhost: rte_eth_vhost_get_vid_from_port_id() and
 *    rte_vhost_get_negotiated_features(). The plugin was loaded by EAL,
 *    not linked, so the symbols are looked up in the already loaded
 *    libraries (RTLD_NOLOAD), and nothing is loaded when they are absent;
 *  - stock net_virtio_user: nowhere (reported as not exposed).
 */
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>

#include "tp.h"
#include "tv_vring.h"

static const char *const feature_xstat_names[] = {
	"negotiated_features",
	"dev_negotiated_features",
	"features_negotiated",
	"dev_features",
};

static const struct {
	const char *name;
	unsigned int bit;
} known_bits[] = {
	{"mrg_rxbuf", TV_NET_F_MRG_RXBUF},  {"in_order", TV_F_IN_ORDER},
	{"event_idx", TV_F_RING_EVENT_IDX}, {"mq", TV_NET_F_MQ},
	{"packed", TV_F_RING_PACKED},	    {"version_1", TV_F_VERSION_1},
};

struct expect {
	unsigned int bit;
	bool on;
	const char *name;
};

static struct expect expects[16];
static unsigned int n_expects;
unsigned int tp_features_checked, tp_features_bad, tp_features_hidden;

int
tp_features_expect(const char *arg)
{
	const char *eq = strchr(arg, '=');
	size_t n = eq ? (size_t)(eq - arg) : 0;
	unsigned int i;

	if (eq == NULL || (strcmp(eq + 1, "0") != 0 && strcmp(eq + 1, "1")) ||
	    n_expects == RTE_DIM(expects))
		return -EINVAL;
	for (i = 0; i < RTE_DIM(known_bits); i++)
		if (strlen(known_bits[i].name) == n &&
		    strncmp(arg, known_bits[i].name, n) == 0)
			break;
	if (i == RTE_DIM(known_bits))
		return -EINVAL;
	expects[n_expects].bit = known_bits[i].bit;
	expects[n_expects].on = eq[1] == '1';
	expects[n_expects].name = known_bits[i].name;
	n_expects++;
	return 0;
}

/* The feature word from a driver xstat; -ENOENT when there is none. */
static int
from_xstats(uint16_t port, uint64_t *features, const char **how)
{
	struct rte_eth_xstat_name *names = NULL;
	uint64_t id, value;
	unsigned int i;
	int n, k, ret = -ENOENT;

	n = rte_eth_xstats_get_names(port, NULL, 0);
	if (n <= 0)
		return -ENOENT;
	names = calloc((size_t)n, sizeof(*names));
	if (names == NULL)
		return -ENOMEM;
	if (rte_eth_xstats_get_names(port, names, (unsigned int)n) != n)
		goto out;
	for (k = 0; k < n && ret == -ENOENT; k++)
		for (i = 0; i < RTE_DIM(feature_xstat_names); i++) {
			if (strcmp(names[k].name, feature_xstat_names[i]) != 0)
				continue;
			id = (uint64_t)k;
			if (rte_eth_xstats_get_by_id(port, &id, &value, 1) != 1)
				break;
			*features = value;
			*how = feature_xstat_names[i];
			ret = 0;
			break;
		}
out:
	free(names);
	return ret;
}

/* Stock net_vhost: the vhost library knows. -ENOENT when not that. */
static int
from_stock_vhost(uint16_t port, uint64_t *features, const char **how)
{
	int (*get_vid)(uint16_t port_id);
	int (*get_features)(int vid, uint64_t *features);
	void *pmd, *lib;
	int vid, ret = -ENOENT;

	pmd = dlopen("librte_net_vhost.so.23", RTLD_NOW | RTLD_NOLOAD);
	lib = dlopen("librte_vhost.so.23", RTLD_NOW | RTLD_NOLOAD);
	if (pmd == NULL || lib == NULL)
		goto out;
	get_vid = (int (*)(uint16_t))dlsym(
		pmd, "rte_eth_vhost_get_vid_from_port_id");
	get_features = (int (*)(int, uint64_t *))dlsym(
		lib, "rte_vhost_get_negotiated_features");
	if (get_vid == NULL || get_features == NULL)
		goto out;
	vid = get_vid(port);
	if (vid < 0 || get_features(vid, features) != 0) {
		ret = -ENOTCONN;
		goto out;
	}
	*how = "rte_vhost_get_negotiated_features";
	ret = 0;
out:
	if (pmd != NULL)
		dlclose(pmd);
	if (lib != NULL)
		dlclose(lib);
	return ret;
}

int
tp_features_check(uint16_t port)
{
	struct rte_eth_dev_info info;
	const char *how = NULL, *drv = "?";
	uint64_t f = 0;
	unsigned int i, bad = 0;
	int ret;

	if (n_expects == 0)
		return 0;
	if (rte_eth_dev_info_get(port, &info) == 0 && info.driver_name)
		drv = info.driver_name;
	ret = from_xstats(port, &f, &how);
	if (ret == -ENOENT && strcmp(drv, "net_vhost") == 0)
		ret = from_stock_vhost(port, &f, &how);
	if (ret != 0) {
		printf("features: port %u (%s) does not expose its negotiated "
		       "features (%s): not checked\n",
		       port, drv, ret == -ENOENT ? "no xstat" : strerror(-ret));
		tp_features_hidden++;
		return 0;
	}
	for (i = 0; i < n_expects; i++) {
		bool on = (f >> expects[i].bit) & 1;

		if (on == expects[i].on)
			continue;
		printf("features: port %u (%s): %s is %s, the run asked for "
		       "%s\n",
		       port, drv, expects[i].name,
		       on ? "negotiated" : "not negotiated",
		       expects[i].on ? "it" : "it off");
		bad++;
	}
	printf("features: port %u (%s) negotiated 0x%" PRIx64 " (from %s): "
	       "%s\n",
	       port, drv, f, how, bad ? "MISMATCH" : "as asked");
	tp_features_checked++;
	tp_features_bad += bad;
	return bad ? -EPROTO : 0;
}
