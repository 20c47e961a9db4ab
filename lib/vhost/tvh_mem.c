/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * Guest memory table: mapping the regions of SET_MEM_TABLE and translating
 * front-end addresses. Everything in the message is the front-end's word
 * and is checked before it is used: sizes, overflows, overlaps, and the
 * file behind each fd (a region beyond the end of its file would map, then
 * SIGBUS the datapath at the first access).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tvh_internal.h"

void *
tvh_uva_to_host(const struct tvh_mem *mem, uint64_t uva, uint64_t len)
{
	for (uint32_t i = 0; i < mem->n_regions; i++) {
		const struct tvh_region *r = &mem->regions[i];
		uint64_t off = uva - r->uva;

		/* Both ends inside the region, without computing uva + len
		 * (which the front-end could make wrap). */
		if (off < r->size && len <= r->size - off)
			return r->host + off;
	}
	return NULL;
}

void
tvh_mem_unmap(struct tvh_mem *mem)
{
	for (uint32_t i = 0; i < mem->n_regions; i++) {
		struct tvh_region *r = &mem->regions[i];

		if (r->map_addr != NULL)
			munmap(r->map_addr, r->map_len);
	}
	memset(mem, 0, sizeof(*mem));
}

/* [a, a + as) and [b, b + bs) intersect; neither end wraps (checked
 * before). */
static bool
ranges_overlap(uint64_t a, uint64_t as, uint64_t b, uint64_t bs)
{
	return a < b + bs && b < a + as;
}

/* Alignment mmap needs for the file offset: the page size, or the huge
 * page size of a hugetlbfs file (reported as st_blksize). */
static uint64_t
map_align(const struct stat *st)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t blk = (uint64_t)st->st_blksize;

	if (blk > page && (blk & (blk - 1)) == 0)
		return blk;
	return page;
}

static int
map_region(struct tvh_region *r, const struct tvu_mem_region *in, int fd,
	   uint32_t i, char *why, size_t whylen)
{
	struct stat st;
	uint64_t align, map_off, map_len, end;
	void *addr;

	if (in->memory_size == 0) {
		snprintf(why, whylen, "region %u has size 0", i);
		return -EINVAL;
	}
	if (in->guest_phys_addr + in->memory_size < in->guest_phys_addr ||
	    in->userspace_addr + in->memory_size < in->userspace_addr ||
	    in->mmap_offset + in->memory_size < in->mmap_offset) {
		snprintf(why, whylen,
			 "region %u wraps: gpa 0x%" PRIx64 " uva 0x%" PRIx64
			 " offset 0x%" PRIx64 " size 0x%" PRIx64,
			 i, in->guest_phys_addr, in->userspace_addr,
			 in->mmap_offset, in->memory_size);
		return -EINVAL;
	}
	if (fstat(fd, &st) < 0) {
		snprintf(why, whylen, "region %u: fstat of its fd failed: %s",
			 i, strerror(errno));
		return -EINVAL;
	}
	end = in->mmap_offset + in->memory_size;
	if (st.st_size < 0 || end > (uint64_t)st.st_size) {
		snprintf(why, whylen,
			 "region %u: offset 0x%" PRIx64 " + size 0x%" PRIx64
			 " exceeds its file (0x%" PRIx64 " bytes)",
			 i, in->mmap_offset, in->memory_size,
			 (uint64_t)st.st_size);
		return -EINVAL;
	}
	align = map_align(&st);
	map_off = in->mmap_offset & ~(align - 1);
	map_len = RTE_ALIGN_CEIL(end - map_off, align);
	if (map_len < end - map_off || map_len > SIZE_MAX) {
		snprintf(why, whylen, "region %u: too large to map", i);
		return -EINVAL;
	}
	addr = mmap(NULL, (size_t)map_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		    fd, (off_t)map_off);
	if (addr == MAP_FAILED) {
		snprintf(why, whylen,
			 "region %u: mmap of 0x%" PRIx64
			 " bytes at offset 0x%" PRIx64 " failed: %s",
			 i, map_len, map_off, strerror(errno));
		return -EINVAL;
	}
	r->gpa = in->guest_phys_addr;
	r->size = in->memory_size;
	r->uva = in->userspace_addr;
	r->map_addr = addr;
	r->map_len = (size_t)map_len;
	r->host = (uint8_t *)addr + (in->mmap_offset - map_off);
	return 0;
}

int
tvh_mem_map(struct tvh_mem *out, struct tvu_msg *msg, char *why, size_t whylen)
{
	const struct tvu_memory *m = &msg->payload.memory;
	uint32_t n = m->nregions;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	/* tvu_validate_request checked 1 <= n <= 8 and one fd per region;
	 * re-check what this function relies on for memory safety. */
	if (n == 0 || n > TVU_MAX_MEM_REGIONS || msg->n_fds != n) {
		snprintf(why, whylen, "%u regions with %u fds", n, msg->n_fds);
		rc = -EINVAL;
		goto out;
	}
	for (uint32_t i = 0; i < n; i++) {
		const struct tvu_mem_region *in = &m->regions[i];

		rc = map_region(&out->regions[i], in, msg->fds[i], i, why,
				whylen);
		if (rc < 0)
			goto out;
		out->n_regions = i + 1;
		for (uint32_t j = 0; j < i; j++) {
			const struct tvh_region *o = &out->regions[j];

			if (ranges_overlap(o->gpa, o->size, in->guest_phys_addr,
					   in->memory_size) ||
			    ranges_overlap(o->uva, o->size, in->userspace_addr,
					   in->memory_size)) {
				snprintf(why, whylen,
					 "regions %u and %u overlap", j, i);
				rc = -EINVAL;
				goto out;
			}
		}
	}
out:
	/* The mappings keep the memory; the fds are not needed any more,
	 * whatever happened. */
	for (uint32_t i = 0; i < msg->n_fds; i++) {
		if (msg->fds[i] >= 0)
			close(msg->fds[i]);
		msg->fds[i] = -1;
	}
	msg->n_fds = 0;
	if (rc < 0)
		tvh_mem_unmap(out);
	return rc;
}
