/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * Guest memory table: mapping the regions of SET_MEM_TABLE and translating
 * front-end addresses. Everything in the message is the front-end's word
 * and is checked before it is used: sizes, overflows, overlaps, and the
 * file behind each fd (a region beyond the end of its file would map, then
 * SIGBUS the datapath at the first access), and the total a front-end may
 * make us map.
 *
 * The file may still shrink after the check (the front-end keeps its fd):
 * the SIGBUS guard at the end of this file keeps that from killing the
 * process. It lives here because it is part of what a mapping is: every
 * region enters the guard's registry right after its mmap and leaves it
 * right before its munmap.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tvh_internal.h"

static int guard_add(const void *owner, uint32_t region, void *start,
		     size_t len, size_t align);
static void guard_del(const void *start);
static void guard_check_installed(void);

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

		if (r->map_addr == NULL)
			continue;
		/* Out of the registry first: once unmapped, the address may
		 * be reused by anything, which the handler must not touch. */
		guard_del(r->map_addr);
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

/* Can the front-end still shrink the file behind fd? Only a memfd sealed
 * with F_SEAL_SHRINK says no; any other file (F_GET_SEALS fails with
 * EINVAL) can be truncated by whoever holds it. */
static bool
file_may_shrink(int fd)
{
	int seals = fcntl(fd, F_GET_SEALS);

	return seals < 0 || !(seals & F_SEAL_SHRINK);
}

static int
map_region(const struct tvh_dev *dev, struct tvh_region *r,
	   const struct tvu_mem_region *in, int fd, uint32_t i, char *why,
	   size_t whylen)
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
	if (guard_add(dev, i, addr, (size_t)map_len, (size_t)align) < 0) {
		munmap(addr, (size_t)map_len);
		snprintf(why, whylen,
			 "region %u: the process already guards the most "
			 "memory regions it can (all devices together)",
			 i);
		return -ENOSPC;
	}
	r->gpa = in->guest_phys_addr;
	r->size = in->memory_size;
	r->uva = in->userspace_addr;
	r->map_addr = addr;
	r->map_len = (size_t)map_len;
	r->host = (uint8_t *)addr + (in->mmap_offset - map_off);
	return 0;
}

/* The regions' sizes must add up to at most the device's limit: a sparse
 * file of any size passes fstat, and the front-end alone chooses what we
 * map. Checked before anything is mapped. */
static int
check_total(const struct tvh_dev *dev, const struct tvu_memory *m, char *why,
	    size_t whylen)
{
	uint64_t total = 0;

	for (uint32_t i = 0; i < m->nregions; i++) {
		uint64_t size = m->regions[i].memory_size;

		if (total + size < total) {
			snprintf(why, whylen,
				 "the regions' sizes add up to more than 2^64 "
				 "bytes (region %u: 0x%" PRIx64 ")",
				 i, size);
			return -EINVAL;
		}
		total += size;
	}
	if (total > dev->max_guest_mem) {
		snprintf(why, whylen,
			 "its %u regions add up to 0x%" PRIx64
			 " bytes, more than the 0x%" PRIx64
			 " this device maps (max-guest-mem)",
			 m->nregions, total, dev->max_guest_mem);
		return -E2BIG;
	}
	return 0;
}

int
tvh_mem_map(struct tvh_dev *dev, struct tvh_mem *out, struct tvu_msg *msg,
	    char *why, size_t whylen)
{
	const struct tvu_memory *m = &msg->payload.memory;
	uint32_t n = m->nregions, unsealed = 0;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	/* tvu_validate_request checked 1 <= n <= 8 and one fd per region;
	 * re-check what this function relies on for memory safety. */
	if (n == 0 || n > TVU_MAX_MEM_REGIONS || msg->n_fds != n) {
		snprintf(why, whylen, "%u regions with %u fds", n, msg->n_fds);
		rc = -EINVAL;
		goto out;
	}
	rc = check_total(dev, m, why, whylen);
	if (rc < 0)
		goto out;
	guard_check_installed();
	for (uint32_t i = 0; i < n; i++) {
		const struct tvu_mem_region *in = &m->regions[i];

		rc = map_region(dev, &out->regions[i], in, msg->fds[i], i, why,
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
		if (file_may_shrink(msg->fds[i]))
			unsealed |= 1u << i;
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
	if (rc < 0) {
		tvh_mem_unmap(out);
		return rc;
	}
	if (unsealed != 0) {
		dev->stats.unsealed_regions +=
			(uint64_t)__builtin_popcount(unsealed);
		if (!dev->unsealed_logged) {
			dev->unsealed_logged = true;
			TVH_LOG_CTRL(NOTICE, dev,
				     "front-end's memory regions (mask 0x%x of "
				     "%u) are not sealed against shrinking "
				     "(F_SEAL_SHRINK): if it truncates them, "
				     "the faults are absorbed and it is "
				     "disconnected (logged once)",
				     unsealed, n);
		}
	}
	return 0;
}

/* ---- SIGBUS guard ----
 *
 * Registry: a fixed array of slots {start, len, align, owner, region,
 * hits}, one per mapped region. The control thread (control lock held)
 * writes a slot under a sequence count (odd while it writes); the signal
 * handler reads it without a lock and skips a slot whose count changed
 * under it. No slot a fault can legitimately hit changes meanwhile: a
 * region enters the registry before any ring can be started in it, and
 * leaves it only after every burst left its device (tvh_vqs_stop), and the
 * datapath touches guest memory only inside a burst; the control thread's
 * own accesses (ring start) take their faults on its own stack.
 *
 * Handler: a fault whose address is in a slot (si_code BUS_ADRERR, the
 * kernel's code for an access beyond the end of a file) gets private
 * zero-filled pages mapped over the rest of that mapping, from the
 * faulting page on (one mmap: everything above the fault is beyond the
 * file's new end too, and one mapping keeps a storm of faults from
 * multiplying the process's mappings), counts it in the slot, wakes the
 * control thread through an eventfd and returns: the access restarts and
 * reads zeros; writes go to the private pages. The control thread then
 * ends the session (tvh_ctrl.c), which unmaps everything.
 *
 * Only async-signal-safe work in the handler: lock-free atomic loads and
 * adds, mmap and write (plain system calls in glibc: no lock, no
 * allocation), sigaction.
 */

/* Slots for the whole process: 128 devices with 8 regions each. */
#define TVH_GUARD_SLOTS 1024u

struct guard_slot {
	uint32_t seq;	    /* odd while the control thread writes the slot */
	uint32_t region;    /* index in its owner's memory table */
	uint32_t hits;	    /* faults absorbed (handler: atomic add) */
	uint32_t hits_seen; /* control thread: hits already collected */
	uintptr_t start;    /* 0: free */
	uintptr_t len;
	/* page size of the mapping (the huge page size for hugetlbfs) */
	uintptr_t align;
	const void *owner;
};

static struct guard_slot guard_slots[TVH_GUARD_SLOTS];
/* Slots [0, guard_hwm) may be in use (it never shrinks). */
static uint32_t guard_hwm;
/* The control thread's wake-up: an eventfd that lives as long as the
 * control thread (tvh_guard_init/fini); -1 without one. The handler
 * counts itself in guard_wake_users while it uses the fd, so that
 * tvh_guard_fini closes it only once no handler can write to it. */
static int guard_wake_fd = -1;
static uint32_t guard_wake_users;
static struct sigaction guard_prev;
static bool guard_warned; /* control: handler found replaced */

/* Fields of a slot; every access is atomic, for the handler's sake. */
struct guard_view {
	uintptr_t start, len, align;
};

/* Control thread: rewrite slot s. The reader pairs with it (seqlock):
 * the release fence orders the odd count before the field stores, the
 * release store of the even count orders the fields before it. */
static void
slot_write(struct guard_slot *s, const void *owner, uint32_t region,
	   uintptr_t start, uintptr_t len, uintptr_t align)
{
	uint32_t seq = s->seq;

	__atomic_store_n(&s->seq, seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	__atomic_store_n(&s->start, start, __ATOMIC_RELAXED);
	__atomic_store_n(&s->len, len, __ATOMIC_RELAXED);
	__atomic_store_n(&s->align, align, __ATOMIC_RELAXED);
	__atomic_store_n(&s->owner, owner, __ATOMIC_RELAXED);
	__atomic_store_n(&s->region, region, __ATOMIC_RELAXED);
	s->hits_seen = __atomic_load_n(&s->hits, __ATOMIC_RELAXED);
	__atomic_store_n(&s->seq, seq + 2, __ATOMIC_RELEASE);
}

/* Handler: a consistent copy of slot s, or false if it is being written
 * (or was, while we read it). The acquire load of the count pairs with the
 * release store in slot_write; the acquire fence orders the field loads
 * before the second load of the count. */
static bool
slot_read(const struct guard_slot *s, struct guard_view *v)
{
	uint32_t seq = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);

	if (seq & 1)
		return false;
	v->start = __atomic_load_n(&s->start, __ATOMIC_RELAXED);
	v->len = __atomic_load_n(&s->len, __ATOMIC_RELAXED);
	v->align = __atomic_load_n(&s->align, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return __atomic_load_n(&s->seq, __ATOMIC_RELAXED) == seq &&
	       v->start != 0;
}

static int
guard_add(const void *owner, uint32_t region, void *start, size_t len,
	  size_t align)
{
	for (uint32_t i = 0; i < TVH_GUARD_SLOTS; i++) {
		struct guard_slot *s = &guard_slots[i];

		if (s->start != 0)
			continue;
		slot_write(s, owner, region, (uintptr_t)start, len, align);
		/* Release: the handler that sees the new bound (acquire)
		 * sees the slot's count too. */
		if (i >= guard_hwm)
			__atomic_store_n(&guard_hwm, i + 1, __ATOMIC_RELEASE);
		return 0;
	}
	return -ENOSPC;
}

static void
guard_del(const void *start)
{
	uint32_t n = guard_hwm;

	for (uint32_t i = 0; i < n; i++) {
		struct guard_slot *s = &guard_slots[i];

		if (s->start == (uintptr_t)start) {
			slot_write(s, NULL, 0, 0, 0, 0);
			return;
		}
	}
}

/* Absorb a fault at addr if it lies in a registered mapping. */
static bool
guard_absorb(uintptr_t addr)
{
	uint32_t n = __atomic_load_n(&guard_hwm, __ATOMIC_ACQUIRE);
	static const uint64_t one = 1;

	for (uint32_t i = 0; i < n; i++) {
		struct guard_slot *s = &guard_slots[i];
		struct guard_view v;
		uintptr_t page;
		void *p;
		int fd;

		if (!slot_read(s, &v) || addr - v.start >= v.len)
			continue;
		page = tvh_guard_page(addr, v.start, v.align);
		p = mmap((void *)page, v.start + v.len - page,
			 PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED |
				 MAP_NORESERVE,
			 -1, 0);
		if (p == MAP_FAILED)
			return false;
		__atomic_fetch_add(&s->hits, 1, __ATOMIC_RELAXED);
		/* seq_cst add, then load of the fd: pairs with the store of
		 * -1 and the load of the users in tvh_guard_fini (either it
		 * waits for us, or we see -1). */
		__atomic_fetch_add(&guard_wake_users, 1, __ATOMIC_SEQ_CST);
		fd = __atomic_load_n(&guard_wake_fd, __ATOMIC_SEQ_CST);
		/* Nothing to do if the write fails: the eventfd is full,
		 * i.e. readable, or there is no control thread (the region
		 * belongs to a destroyed device's stuck queue). */
		if (fd >= 0 && write(fd, &one, sizeof(one)) < 0)
			fd = -1;
		/* Release: our write happens before the close. */
		__atomic_fetch_sub(&guard_wake_users, 1, __ATOMIC_RELEASE);
		return true;
	}
	return false;
}

/* Not ours: do what would have happened without us. */
static void
guard_chain(int sig, siginfo_t *si, void *uctx)
{
	struct sigaction dfl;

	if (guard_prev.sa_flags & SA_SIGINFO) {
		if (guard_prev.sa_sigaction != NULL) {
			guard_prev.sa_sigaction(sig, si, uctx);
			return;
		}
	} else if (guard_prev.sa_handler != SIG_DFL &&
		   guard_prev.sa_handler != SIG_IGN) {
		guard_prev.sa_handler(sig);
		return;
	}
	/* Default action (an ignored SIGBUS from a fault is fatal too: the
	 * kernel forces it). A fault repeats when we return and kills the
	 * process with SIGBUS; a signal that was sent (kill, si_code <= 0)
	 * is sent again, and is delivered (default action) on return. */
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	sigaction(SIGBUS, &dfl, NULL);
	if (si == NULL || si->si_code <= 0)
		raise(sig);
}

static void
guard_sigbus(int sig, siginfo_t *si, void *uctx)
{
	int saved_errno = errno;

	if (si != NULL && si->si_code == BUS_ADRERR &&
	    guard_absorb((uintptr_t)si->si_addr)) {
		errno = saved_errno;
		return;
	}
	errno = saved_errno;
	guard_chain(sig, si, uctx);
}

int
tvh_guard_init(void)
{
	static bool installed;
	struct sigaction sa;
	int fd;

	if (guard_wake_fd < 0) {
		fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (fd < 0)
			return -errno;
		__atomic_store_n(&guard_wake_fd, fd, __ATOMIC_SEQ_CST);
	}
	if (installed)
		return 0;
	/* The previous handler first, so that the chain is in place from
	 * the moment ours runs. */
	if (sigaction(SIGBUS, NULL, &guard_prev) < 0)
		goto fail;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = guard_sigbus;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, NULL) < 0)
		goto fail;
	installed = true;
	rte_log(RTE_LOG_DEBUG, tvh_logtype_ctrl,
		"tandem_vhost: SIGBUS guard installed (previous handler: "
		"%s)\n",
		(guard_prev.sa_flags & SA_SIGINFO) ||
				(guard_prev.sa_handler != SIG_DFL &&
				 guard_prev.sa_handler != SIG_IGN)
			? "chained"
			: "none");
	return 0;
fail:
	fd = -errno;
	tvh_guard_fini();
	return fd; /* -errno of the failed sigaction */
}

void
tvh_guard_fini(void)
{
	int fd = guard_wake_fd;

	if (fd < 0)
		return;
	/* Pairs with the add and load in guard_absorb. */
	__atomic_store_n(&guard_wake_fd, -1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&guard_wake_users, __ATOMIC_SEQ_CST) != 0)
		sched_yield();
	close(fd);
}

int
tvh_guard_fd(void)
{
	return guard_wake_fd;
}

/* Warn (once per process) if the application replaced our handler: a
 * truncated region would then kill the process again. */
static void
guard_check_installed(void)
{
	struct sigaction cur;

	if (guard_warned || sigaction(SIGBUS, NULL, &cur) < 0)
		return;
	if ((cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == guard_sigbus)
		return;
	guard_warned = true;
	rte_log(RTE_LOG_WARNING, tvh_logtype_ctrl,
		"tandem_vhost: the SIGBUS handler was replaced after the "
		"first device was created: a front-end that truncates its "
		"memory will crash this process\n");
}

uint32_t
tvh_guard_faults(const void *owner, uint32_t *regions)
{
	uint32_t n = guard_hwm, faults = 0;

	for (uint32_t i = 0; i < n; i++) {
		struct guard_slot *s = &guard_slots[i];
		uint32_t hits;

		if (s->start == 0 || s->owner != owner)
			continue;
		hits = __atomic_load_n(&s->hits, __ATOMIC_RELAXED);
		if (hits == s->hits_seen)
			continue;
		faults += hits - s->hits_seen;
		s->hits_seen = hits;
		*regions |= 1u << s->region;
	}
	return faults;
}
