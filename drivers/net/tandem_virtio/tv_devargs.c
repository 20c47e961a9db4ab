/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * tv_devargs.c - devargs of net_tandem_virtio. Names and defaults follow
 * the stock net_virtio_user where it has the same argument, so a user can
 * switch drivers by changing only the driver name.
 *
 * Two stock keys take no effect: cq=0|1 is accepted (stock needs its
 * control queue for multi-queue, and defaults it to 1 with queues > 1;
 * Tandem has none and needs none) and iface= is refused with a message
 * (it names a vhost-kernel back-end's tap device; Tandem speaks vhost-user
 * only).
 *
 * Tandem's own, beside those: event_idx=0|1 (default 1), and one switch
 * per fast-path technique, for ablation (all default on):
 *   simd=auto|scalar|sse|avx2|avx512  RX code path. auto: the best this CPU
 *       has within EAL's max SIMD bitwidth (--force-max-simd-bitwidth);
 *       a named level is used even beyond that bitwidth (a probe error if
 *       the CPU lacks it). vectorized=0 is simd=scalar, vectorized=1 (the
 *       default here, unlike stock: the vector paths have no restrictions
 *       and produce the scalar path's mbufs) is simd=auto.
 *   fixed_avail=0  rewrite avail ring entries on every refill/transmit
 *       instead of writing them once at queue setup.
 *   tx_hdr_push=0  always send the virtio-net header in a descriptor of
 *       its own instead of in the mbuf headroom.
 *   bulk=0  allocate RX mbufs one by one (rte_pktmbuf_alloc) and free TX
 *       mbufs one by one (rte_pktmbuf_free) instead of raw bulk get/put.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_kvargs.h>

#include "tv_pmd.h"

typedef int (*tv_arg_fn)(const char *key, const char *val,
			 struct tv_config *cfg);

static int
parse_uint(const char *key, const char *val, unsigned long min,
	   unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (val == NULL || *val == '\0' || *val == '-') {
		TV_LOG(ERR, "devarg %s: a number is required", key);
		return -EINVAL;
	}
	errno = 0;
	v = strtoul(val, &end, 0);
	if (errno != 0 || *end != '\0' || v < min || v > max) {
		TV_LOG(ERR, "devarg %s=%s: expected a number in [%lu, %lu]",
		       key, val, min, max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int
parse_bool(const char *key, const char *val, bool *out)
{
	unsigned long v;
	int ret = parse_uint(key, val, 0, 1, &v);

	if (ret == 0)
		*out = v != 0;
	return ret;
}

static int
arg_path(const char *key, const char *val, struct tv_config *cfg)
{
	if (val == NULL || *val == '\0') {
		TV_LOG(ERR, "devarg %s: a socket path is required", key);
		return -EINVAL;
	}
	if (strlen(val) >= sizeof(cfg->path)) {
		TV_LOG(ERR, "devarg %s=%s: longer than %zu bytes", key, val,
		       sizeof(cfg->path) - 1);
		return -ENAMETOOLONG;
	}
	strcpy(cfg->path, val);
	return 0;
}

static int
arg_server(const char *key, const char *val, struct tv_config *cfg)
{
	return parse_bool(key, val, &cfg->server);
}

static int
arg_queues(const char *key, const char *val, struct tv_config *cfg)
{
	unsigned long v;
	int ret = parse_uint(key, val, 1, TV_MAX_QUEUE_PAIRS, &v);

	if (ret == 0)
		cfg->queues = (uint16_t)v;
	return ret;
}

static int
arg_queue_size(const char *key, const char *val, struct tv_config *cfg)
{
	unsigned long v;
	int ret = parse_uint(key, val, 1, TV_QUEUE_SIZE_MAX, &v);

	if (ret != 0)
		return ret;
	if (!tv_split_num_valid((uint32_t)v)) {
		TV_LOG(ERR, "devarg %s=%s: must be a power of two", key, val);
		return -EINVAL;
	}
	/* ethdev carries descriptor counts in uint16_t: 32768 still fits. */
	cfg->queue_size = (uint16_t)v;
	return 0;
}

static int
arg_mac(const char *key, const char *val, struct tv_config *cfg)
{
	if (val == NULL || rte_ether_unformat_addr(val, &cfg->mac) != 0) {
		TV_LOG(ERR, "devarg %s=%s: expected xx:xx:xx:xx:xx:xx", key,
		       val ? val : "");
		return -EINVAL;
	}
	if (!rte_is_unicast_ether_addr(&cfg->mac)) {
		TV_LOG(ERR, "devarg %s=%s: not a unicast address", key, val);
		return -EINVAL;
	}
	cfg->mac_set = true;
	return 0;
}

static int
arg_mrg_rxbuf(const char *key, const char *val, struct tv_config *cfg)
{
	return parse_bool(key, val, &cfg->mrg_rxbuf);
}

static int
arg_in_order(const char *key, const char *val, struct tv_config *cfg)
{
	return parse_bool(key, val, &cfg->in_order);
}

/* Stock net_virtio_user's control queue switch. Stock emulates the
 * control queue inside the front-end (a vhost-user back-end never sees
 * it), for multi-queue and for the promiscuous, all-multicast and MAC
 * commands. Tandem enables queue pairs with SET_VRING_ENABLE and takes
 * those commands without a control queue, so either value gives the same
 * port; a stock command line keeps working unchanged. */
static int
arg_cq(const char *key, const char *val, struct tv_config *cfg)
{
	return parse_bool(key, val, &cfg->cq);
}

static int
arg_iface(const char *key, const char *val, struct tv_config *cfg)
{
	RTE_SET_USED(cfg);
	TV_LOG(ERR,
	       "devarg %s=%s: names the tap device of a vhost-kernel back-end "
	       "(path=/dev/vhost-net); net_tandem_virtio speaks vhost-user "
	       "only (path=<vhost-user socket>)",
	       key, val ? val : "");
	return -ENOTSUP;
}

static int
arg_event_idx(const char *key, const char *val, struct tv_config *cfg)
{
	return parse_bool(key, val, &cfg->event_idx);
}

static int
arg_packed_vq(const char *key, const char *val, struct tv_config *cfg)
{
	return parse_bool(key, val, &cfg->packed_vq);
}

static int
arg_vectorized(const char *key, const char *val, struct tv_config *cfg)
{
	return parse_bool(key, val, &cfg->vectorized);
}

static int
arg_simd(const char *key, const char *val, struct tv_config *cfg)
{
	static const enum tv_simd levels[] = {TV_SIMD_AUTO, TV_SIMD_SCALAR,
					      TV_SIMD_SSE, TV_SIMD_AVX2,
					      TV_SIMD_AVX512};
	unsigned int i;

	for (i = 0; val != NULL && i < RTE_DIM(levels); i++) {
		if (strcmp(val, tv_simd_name(levels[i])) == 0) {
			cfg->simd = levels[i];
			cfg->simd_set = true;
			return 0;
		}
	}
	TV_LOG(ERR, "devarg %s=%s: expected auto, scalar, sse, avx2 or avx512",
	       key, val ? val : "");
	return -EINVAL;
}

static int
arg_fixed_avail(const char *key, const char *val, struct tv_config *cfg)
{
	return parse_bool(key, val, &cfg->fixed_avail);
}

static int
arg_tx_hdr_push(const char *key, const char *val, struct tv_config *cfg)
{
	return parse_bool(key, val, &cfg->tx_hdr_push);
}

static int
arg_bulk(const char *key, const char *val, struct tv_config *cfg)
{
	return parse_bool(key, val, &cfg->bulk);
}

static int
arg_speed(const char *key, const char *val, struct tv_config *cfg)
{
	unsigned long v;
	int ret = parse_uint(key, val, 1, RTE_ETH_SPEED_NUM_200G, &v);

	if (ret == 0)
		cfg->speed = (uint32_t)v;
	return ret;
}

static int
arg_mtu(const char *key, const char *val, struct tv_config *cfg)
{
	unsigned long v;
	int ret = parse_uint(key, val, RTE_ETHER_MIN_MTU,
			     TV_MAX_RX_PKTLEN - RTE_ETHER_HDR_LEN, &v);

	if (ret == 0)
		cfg->mtu = (uint16_t)v;
	return ret;
}

static const struct {
	const char *key;
	tv_arg_fn fn;
} tv_args[] = {
	{"path", arg_path},
	{"server", arg_server},
	{"queues", arg_queues},
	{"queue_size", arg_queue_size},
	{"mac", arg_mac},
	{"mrg_rxbuf", arg_mrg_rxbuf},
	{"in_order", arg_in_order},
	{"packed_vq", arg_packed_vq},
	{"vectorized", arg_vectorized},
	{"speed", arg_speed},
	{"mtu", arg_mtu},
	{"cq", arg_cq},
	{"iface", arg_iface},
	{"event_idx", arg_event_idx},
	{"simd", arg_simd},
	{"fixed_avail", arg_fixed_avail},
	{"tx_hdr_push", arg_tx_hdr_push},
	{"bulk", arg_bulk},
};

static void
config_defaults(struct tv_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->queues = 1;
	cfg->queue_size = TV_DEFAULT_QUEUE_SIZE;
	cfg->mrg_rxbuf = true;
	cfg->in_order = true;
	cfg->event_idx = true;
	cfg->speed = TV_DEFAULT_SPEED;
	cfg->mtu = TV_DEFAULT_MTU;
	cfg->vectorized = true;
	cfg->simd = TV_SIMD_AUTO;
	cfg->fixed_avail = true;
	cfg->tx_hdr_push = true;
	cfg->bulk = true;
}

/* simd= and vectorized= together, and whether this CPU can run it. */
static int
check_simd(struct tv_config *cfg)
{
	if (!cfg->vectorized) {
		if (cfg->simd_set && cfg->simd != TV_SIMD_SCALAR) {
			TV_LOG(ERR,
			       "devargs vectorized=0 and simd=%s contradict "
			       "each other",
			       tv_simd_name(cfg->simd));
			return -EINVAL;
		}
		cfg->simd = TV_SIMD_SCALAR;
	}
	if (!tv_simd_cpu_has(cfg->simd)) {
		TV_LOG(ERR, "devarg simd=%s: this CPU lacks the instructions",
		       tv_simd_name(cfg->simd));
		return -ENOTSUP;
	}
	return 0;
}

int
tv_parse_devargs(const char *args, struct tv_config *cfg)
{
	struct rte_kvargs *kv;
	unsigned int i, j, k;
	int ret = 0;

	config_defaults(cfg);
	if (args == NULL || *args == '\0') {
		TV_LOG(ERR,
		       "devarg path is required (path=<vhost-user socket>)");
		return -EINVAL;
	}
	/* Parse without a key list so an unknown key can be named. */
	kv = rte_kvargs_parse(args, NULL);
	if (kv == NULL) {
		TV_LOG(ERR, "cannot parse devargs \"%s\"", args);
		return -EINVAL;
	}
	for (i = 0; i < kv->count && ret == 0; i++) {
		const struct rte_kvargs_pair *p = &kv->pairs[i];

		for (j = 0; j < RTE_DIM(tv_args); j++)
			if (strcmp(p->key, tv_args[j].key) == 0)
				break;
		if (j == RTE_DIM(tv_args)) {
			TV_LOG(ERR, "unknown devarg \"%s\"", p->key);
			ret = -EINVAL;
			break;
		}
		for (k = 0; k < i; k++)
			if (strcmp(p->key, kv->pairs[k].key) == 0)
				break;
		if (k < i) {
			/* Which one would win is not obvious to the user. */
			TV_LOG(ERR, "devarg \"%s\" given more than once",
			       p->key);
			ret = -EINVAL;
			break;
		}
		ret = tv_args[j].fn(p->key, p->value, cfg);
	}
	rte_kvargs_free(kv);
	if (ret == 0)
		ret = check_simd(cfg);
	if (ret == 0 && cfg->path[0] == '\0') {
		TV_LOG(ERR,
		       "devarg path is required (path=<vhost-user socket>)");
		ret = -EINVAL;
	}
	return ret;
}
