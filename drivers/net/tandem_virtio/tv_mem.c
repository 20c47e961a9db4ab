/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * tv_mem.c - the vhost-user memory table from EAL memory.
 *
 * Every ring and every mbuf of the guest lives in DPDK memory, so sharing
 * all fd-backed EAL memory lets the back-end reach any buffer we post.
 * virtio-user convention: descriptors carry virtual addresses, so each
 * region's guest_phys_addr equals its userspace_addr (our virtual address).
 *
 * One region per contiguous fd-backed chunk, with neighbours merged when
 * they continue the same fd at the following offset: --no-huge gives one
 * memfd (one region), hugepages with --single-file-segments one fd per
 * memseg list.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_memory.h>

#include "tv_pmd.h"

struct mem_walk {
	struct tvu_memory *mem;
	int *fds;
	int err;
	char *errbuf;
	size_t errlen;
};

static int
mem_walk_chunk(const struct rte_memseg_list *msl, const struct rte_memseg *ms,
	       size_t len, void *arg)
{
	struct mem_walk *w = arg;
	struct tvu_memory *mem = w->mem;
	struct tvu_mem_region *last;
	uint64_t va = (uint64_t)(uintptr_t)ms->addr;
	size_t offset;
	int fd;

	if (msl->external)
		return 0; /* not ours to share: no fd EAL manages */
	/* Inside a walk the memory lock is held: the _thread_unsafe getters
	 * are the ones to use. */
	fd = rte_memseg_get_fd_thread_unsafe(ms);
	if (fd < 0)
		return 0; /* anonymous memory cannot be shared */
	if (rte_memseg_get_fd_offset_thread_unsafe(ms, &offset) < 0)
		return 0;

	if (mem->nregions > 0) {
		last = &mem->regions[mem->nregions - 1];
		if (w->fds[mem->nregions - 1] == fd &&
		    last->userspace_addr + last->memory_size == va &&
		    last->mmap_offset + last->memory_size == offset) {
			last->memory_size += len;
			return 0;
		}
	}
	if (mem->nregions == TVU_MAX_MEM_REGIONS) {
		snprintf(w->errbuf, w->errlen,
			 "EAL memory has more than %u fd-backed chunks, more "
			 "than vhost-user carries (use --single-file-segments "
			 "or fewer hugepage sizes)",
			 TVU_MAX_MEM_REGIONS);
		w->err = -E2BIG;
		return -1;
	}
	last = &mem->regions[mem->nregions];
	last->guest_phys_addr = va;
	last->userspace_addr = va;
	last->memory_size = len;
	last->mmap_offset = offset;
	w->fds[mem->nregions] = fd;
	mem->nregions++;
	return 0;
}

int
tv_mem_table_build(struct tvu_memory *mem, int fds[TVU_MAX_MEM_REGIONS],
		   char *err, size_t errlen)
{
	struct mem_walk w = {
		.mem = mem,
		.fds = fds,
		.errbuf = err,
		.errlen = errlen,
	};

	memset(mem, 0, sizeof(*mem));
	/* The caller holds the memory hotplug lock (tv_pmd.h), so the walk
	 * must not take it again: inside a memory event callback it is held
	 * for writing. */
	if (rte_memseg_contig_walk_thread_unsafe(mem_walk_chunk, &w) < 0 &&
	    w.err == 0) {
		snprintf(err, errlen, "walking EAL memory failed");
		return -EIO;
	}
	if (w.err != 0)
		return w.err;
	if (mem->nregions == 0) {
		snprintf(
			err, errlen,
			"no EAL memory is backed by a file descriptor, so none "
			"can be shared with the back-end (EAL needs memfd or "
			"hugetlbfs files; avoid --in-memory without memfd)");
		return -ENOTSUP;
	}
	return 0;
}
