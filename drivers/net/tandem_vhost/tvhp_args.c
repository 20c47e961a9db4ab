/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * tvhp_args.c - devargs of net_tandem_vhost.
 *
 * Names and defaults follow the stock net_vhost where the meaning is the
 * same, so a user switches drivers by changing only the driver name. The
 * stock switches Tandem does not implement are accepted only at their stock
 * default (0); anything else is refused by name rather than ignored.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_kvargs.h>

#include "tvhp.h"

/* Smallest max-guest-mem: a guest needs its rings and some buffers. */
#define TVHP_MIN_GUEST_MEM (1ull << 20)

/* Stock net_vhost switches whose non-default value is not implemented. */
static const char *const tvhp_stock_only_default[] = {
	"tso",
	"linear-buffer",
	"ext-buffer",
	"iommu-support",
	"postcopy-support",
	"dequeue-zero-copy",
	"legacy-ol-flags",
};

/* A plain decimal number in [min, max]: no sign, no spaces, no suffix. */
static int
parse_uint(const char *s, unsigned long min, unsigned long max,
	   unsigned long *out)
{
	unsigned long v;
	char *end;

	if (!isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* A size in bytes: a decimal number with an optional K, M, G or T suffix
 * (powers of 1024), at least `min`, without overflow. */
static int
parse_size(const char *s, uint64_t min, uint64_t *out)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	if (!isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return -EINVAL;
	switch (*end) {
	case 'K':
		shift = 10;
		break;
	case 'M':
		shift = 20;
		break;
	case 'G':
		shift = 30;
		break;
	case 'T':
		shift = 40;
		break;
	case '\0':
		break;
	default:
		return -EINVAL;
	}
	if (shift != 0 && *++end != '\0')
		return -EINVAL;
	if (v > (UINT64_MAX >> shift) || (v << shift) < min)
		return -EINVAL;
	*out = (uint64_t)v << shift;
	return 0;
}

static bool
is_stock_only_default(const char *key)
{
	size_t i;

	for (i = 0; i < RTE_DIM(tvhp_stock_only_default); i++)
		if (strcmp(key, tvhp_stock_only_default[i]) == 0)
			return true;
	return false;
}

static int
parse_pair(const char *name, const char *key, const char *val,
	   struct tvhp_args *out)
{
	unsigned long v;

	if (strcmp(key, "iface") == 0) {
		if (strlen(val) >= sizeof(out->iface)) {
			TVHP_LOG(ERR, "%s: iface is longer than %zu bytes",
				 name, sizeof(out->iface) - 1);
			return -ENAMETOOLONG;
		}
		strcpy(out->iface, val);
		return 0;
	}
	if (strcmp(key, "queues") == 0) {
		if (parse_uint(val, 1, TVH_MAX_QUEUE_PAIRS, &v) != 0) {
			TVHP_LOG(ERR, "%s: queues=%s is not a number in 1..%u",
				 name, val, TVH_MAX_QUEUE_PAIRS);
			return -EINVAL;
		}
		out->queues = (uint16_t)v;
		return 0;
	}
	if (strcmp(key, "client") == 0) {
		if (parse_uint(val, 0, 1, &v) != 0) {
			TVHP_LOG(ERR, "%s: client=%s is not 0 or 1", name, val);
			return -EINVAL;
		}
		out->client = v == 1;
		return 0;
	}
	/* Tandem's own switch, hyphenated like the stock net_vhost ones. */
	if (strcmp(key, "disabled-tx-discard") == 0) {
		if (parse_uint(val, 0, 1, &v) != 0) {
			TVHP_LOG(ERR,
				 "%s: disabled-tx-discard=%s is not 0 or 1",
				 name, val);
			return -EINVAL;
		}
		out->disabled_tx_discard = v == 1;
		return 0;
	}
	/* Tandem's own: the cap on what a guest's memory table maps. */
	if (strcmp(key, "max-guest-mem") == 0) {
		uint64_t bytes;

		if (parse_size(val, TVHP_MIN_GUEST_MEM, &bytes) != 0) {
			TVHP_LOG(ERR,
				 "%s: max-guest-mem=%s is not a size of at "
				 "least 1M (bytes, or a number with a K, M, G "
				 "or T suffix)",
				 name, val);
			return -EINVAL;
		}
		out->max_guest_mem = bytes;
		return 0;
	}
	/* Tandem's own: the long-copy level (lib/vhost's tvh_copy.c). */
	if (strcmp(key, "copy") == 0) {
		static const enum tvh_copy_level levels[] = {
			TVH_COPY_AUTO, TVH_COPY_SSE, TVH_COPY_AVX2,
			TVH_COPY_AVX512};
		size_t i;

		for (i = 0; i < RTE_DIM(levels); i++)
			if (strcmp(val, tvh_copy_name(levels[i])) == 0)
				break;
		if (i == RTE_DIM(levels)) {
			TVHP_LOG(ERR,
				 "%s: copy=%s is not one of auto, sse, avx2, "
				 "avx512",
				 name, val);
			return -EINVAL;
		}
		if (!tvh_copy_cpu_has(levels[i])) {
			TVHP_LOG(ERR, "%s: copy=%s: this CPU does not have it",
				 name, val);
			return -ENOTSUP;
		}
		out->copy = levels[i];
		return 0;
	}
	if (is_stock_only_default(key)) {
		if (parse_uint(val, 0, 1, &v) != 0) {
			TVHP_LOG(ERR, "%s: %s=%s is not 0 or 1", name, key,
				 val);
			return -EINVAL;
		}
		if (v != 0) {
			TVHP_LOG(ERR, "%s: %s=%s is not supported yet", name,
				 key, val);
			return -ENOTSUP;
		}
		return 0;
	}
	TVHP_LOG(ERR,
		 "%s: unknown devarg \"%s\" (known: iface, queues, client, "
		 "disabled-tx-discard, max-guest-mem, copy, and at 0: tso, "
		 "linear-buffer, "
		 "ext-buffer, iommu-support, postcopy-support, "
		 "dequeue-zero-copy, legacy-ol-flags)",
		 name, key);
	return -EINVAL;
}

/* Parse `devargs` of device `name` into *out. Returns 0 or -errno after
 * logging which argument is wrong. */
int
tvhp_args_parse(const char *name, const char *devargs, struct tvhp_args *out)
{
	struct rte_kvargs *kv;
	unsigned int i, j;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	out->queues = 1;
	out->client = false;

	if (devargs == NULL || devargs[0] == '\0') {
		TVHP_LOG(ERR, "%s: iface=<socket path> is required", name);
		return -EINVAL;
	}
	/* No key list: unknown keys are reported by name below. */
	kv = rte_kvargs_parse(devargs, NULL);
	if (kv == NULL) {
		TVHP_LOG(ERR,
			 "%s: cannot parse devargs \"%s\" (expected "
			 "key=value,...)",
			 name, devargs);
		return -EINVAL;
	}
	for (i = 0; i < kv->count && ret == 0; i++) {
		const char *key = kv->pairs[i].key;
		const char *val = kv->pairs[i].value;

		if (val == NULL || val[0] == '\0') {
			TVHP_LOG(ERR, "%s: devarg \"%s\" has no value", name,
				 key);
			ret = -EINVAL;
			break;
		}
		for (j = 0; j < i; j++) {
			if (strcmp(kv->pairs[j].key, key) == 0) {
				TVHP_LOG(ERR,
					 "%s: devarg \"%s\" is given more "
					 "than once",
					 name, key);
				ret = -EINVAL;
				break;
			}
		}
		if (ret == 0)
			ret = parse_pair(name, key, val, out);
	}
	rte_kvargs_free(kv);
	if (ret == 0 && out->iface[0] == '\0') {
		TVHP_LOG(ERR, "%s: iface=<socket path> is required", name);
		ret = -EINVAL;
	}
	return ret;
}
