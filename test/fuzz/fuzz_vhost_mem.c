/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 Tandem developers
 *
 * fuzz_vhost_mem.c - lib/vhost's memory table (tvh_mem.c): tvh_mem_map on
 * a SET_MEM_TABLE built from the input, with real files behind the fds,
 * then the address translations (tvh_uva_to_host, tvh_gpa_to_host) on
 * addresses from the input, all against a model of what a front-end may
 * and may not get mapped.
 *
 * Input (little-endian; missing bytes read as zero):
 *   u8 nb          n = (nb & 15) % 10 regions claimed (0 and 9 are bad);
 *                  nb & 0x10: one fd fewer than regions (one more if n=0)
 *   u8 w           the "why" buffer's length: w, or 256 if w = 0
 *   u8 c           the device's cap on mapped bytes (max_guest_mem):
 *                  c MiB, or TVH_DEFAULT_MAX_GUEST_MEM if c = 0
 *   then per region (min(n, 8) of them):
 *   u8 kind        the fd behind it, kind % 10:
 *                    0-3 a new memfd of fsize bytes (sparse: ftruncate)
 *                    4   a memfd of fsize bytes sealed against shrink/grow
 *                    5   the previous region's file again (a dup), as
 *                        QEMU does for several regions in one file; a
 *                        new memfd for region 0
 *                    6   a pipe (size 0)
 *                    7   /dev/null (a character device, size 0)
 *                    8   a memfd sealed against writes (shared writable
 *                        mmap is refused with EPERM)
 *                    9   a directory (a size, but it cannot be mapped)
 *   u32 fsize      file size, fsize % (64 MiB + 1): mmap of a sparse
 *                  memfd is cheap at that size, 8 of them too
 *   u8 wide        bit 0: size is a u64 (else a u32), bit 1: offset too
 *   u64 gpa, u64 uva, u32|u64 size, u32|u64 mmap_offset
 *   then ops (at most MAX_OPS) if the table was accepted:
 *   u8 op          0x80-0x87: SHRINK u8 r, u32 size: the front-end
 *                         truncates region (r % n)'s file to size %
 *                         (64 MiB + 1) (grows it back too), as a guest
 *                         may after SET_MEM_TABLE; refused by the kernel
 *                         for a sealed file
 *                  else a translation, whose pointer is then accessed:
 *                  bit 0: 0 = tvh_uva_to_host, 1 = tvh_gpa_to_host
 *                  bit 1: relative: u8 r, s32 delta, u32 len; the address
 *                         is region (r % n)'s start (bit 2 clear) or end
 *                         (bit 2 set) plus delta, in its uva or gpa space
 *                  else:  u64 addr, u64 len
 *
 * Checked beyond "does not crash":
 *  - the table is accepted iff the model says it is valid: 1 <= n <= 8,
 *    one fd per region, every size > 0, no gpa/uva/offset range wraps,
 *    offset + size within the file, the file a mappable memfd, no two
 *    regions overlapping in gpa or in uva, the sum of the sizes within
 *    the device's cap;
 *  - an accepted table counts its regions whose file is not sealed
 *    against shrinking in the device's unsealed_regions;
 *  - a refusal returns -errno with a non-empty reason that stays inside
 *    the buffer it was given (guard bytes after it);
 *  - every fd in the message is closed on return, success or not, and the
 *    message holds no fd any more; no fd leaks (fuzz_fd_watch);
 *  - nothing stays mapped after a refusal or tvh_mem_unmap: each memfd is
 *    sealed against writes at the end of the input, which the kernel
 *    refuses while a shared writable mapping of it exists (and must
 *    refuse while the table is mapped: the check is checked; when it
 *    refuses, /proc/self/maps must list the file, as the kernel may also
 *    refuse for a page it holds a while), and every MAPS_EVERY inputs
 *    /proc/self/maps names none of this target's files;
 *  - tvh_uva_to_host returns non-NULL iff [addr, addr + len) lies in one
 *    region (for len 0: iff addr does), tvh_gpa_to_host returns non-NULL
 *    iff gpa lies in a region, with *contig = min(len, bytes to its end);
 *    the pointer is the right byte of the right file: a byte written
 *    through it at both ends of the range is read back with pread at
 *    mmap_offset + (addr - start), and a byte written with pwrite there
 *    is read through it. Every accepted region's first and last byte is
 *    checked so, in both address spaces, whatever the ops say;
 *  - after a SHRINK, lib/vhost's SIGBUS guard: an access to a page wholly
 *    beyond the file's end does not kill the process; that page reads
 *    zeros and the mapping from it to its end is private memory from then
 *    on (the model tracks where, per region); the part below the end stays
 *    the file's (bytes compared as above; in the last partial page, past
 *    the end, pread says end of file). tvh_guard_faults reports exactly
 *    the faults the model expects, with the right region bits, and the
 *    guard's eventfd counted each one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/user.h>
#include <unistd.h>

#include <rte_log.h>

#include "fuzz_common.h"
#include "tvh_internal.h"

#define MAX_OPS	   64u
#define MAX_FSIZE  (64ull << 20)
#define MAPS_EVERY 64u
#define FD_EVERY   64u
#define WHY_MAX	   256u
#define WHY_GUARD  32u
#define MEMFD_NAME "fuzz-vhost-mem"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum fd_kind {
	K_MEMFD = 0, /* 0-3 */
	K_SEALED = 4,
	K_SAME = 5,
	K_PIPE = 6,
	K_NULL = 7,
	K_WSEALED = 8,
	K_DIR = 9,
};

/* What the model knows of one region and the file behind it. */
struct mregion {
	struct tvu_mem_region in;
	int kind;
	int file_fd;	/* our own fd of the file (-1: not a memfd) */
	uint32_t file;	/* index in model.memfds when file_fd >= 0 */
	uint64_t fsize; /* the file's size at SET_MEM_TABLE, for memfds */
	bool mappable;	/* a memfd a shared writable mmap accepts */
	bool sealed;	/* F_SEAL_SHRINK (and GROW) */
	/* File offset (page aligned) from which the guard replaced the
	 * mapping with private memory; UINT64_MAX: nowhere. */
	uint64_t anon_from;
	uint32_t faults; /* the guard absorbed, expected */
};

struct model {
	uint64_t cap;  /* max_guest_mem */
	uint32_t n;    /* regions claimed (nregions) */
	uint32_t n_in; /* regions read from the input: min(n, 8) */
	uint32_t n_fds;
	struct mregion r[TVU_MAX_MEM_REGIONS];
	/* Every memfd this input made (ours, for pread/pwrite and the
	 * mapping check); closed at the end of the input. */
	int memfds[TVU_MAX_MEM_REGIONS];
	uint64_t fsize_now[TVU_MAX_MEM_REGIONS]; /* after SHRINK ops */
	uint32_t n_memfds;
};

static struct {
	uint64_t inputs, accepted, refused, uva_ok, uva_null, gpa_ok, gpa_null,
		bytes_checked, shrinks, faults, past_eof, seal_busy_unmapped;
} counts;

static void
print_counts(void)
{
	if (getenv("FUZZ_STATS") != NULL)
		fprintf(stderr,
			"fuzz_vhost_mem: %llu inputs, %llu tables accepted, "
			"%llu refused; uva translations %llu ok %llu NULL, gpa "
			"%llu ok %llu NULL; %llu bytes checked through files; "
			"%llu truncations, %llu faults absorbed, %llu bytes "
			"past the end of a file in its last page; %llu write "
			"seals refused for an unmapped file\n",
			(unsigned long long)counts.inputs,
			(unsigned long long)counts.accepted,
			(unsigned long long)counts.refused,
			(unsigned long long)counts.uva_ok,
			(unsigned long long)counts.uva_null,
			(unsigned long long)counts.gpa_ok,
			(unsigned long long)counts.gpa_null,
			(unsigned long long)counts.bytes_checked,
			(unsigned long long)counts.shrinks,
			(unsigned long long)counts.faults,
			(unsigned long long)counts.past_eof,
			(unsigned long long)counts.seal_busy_unmapped);
}

static int
new_memfd(struct model *m, uint64_t fsize, unsigned int seals)
{
	int fd = memfd_create(MEMFD_NAME, MFD_CLOEXEC | MFD_ALLOW_SEALING);

	FUZZ_CHECK(fd >= 0, "memfd_create: %s", strerror(errno));
	FUZZ_CHECK(ftruncate(fd, (off_t)fsize) == 0, "ftruncate: %s",
		   strerror(errno));
	if (seals != 0)
		FUZZ_CHECK(fcntl(fd, F_ADD_SEALS, seals) == 0,
			   "F_ADD_SEALS: %s", strerror(errno));
	m->fsize_now[m->n_memfds] = fsize;
	m->memfds[m->n_memfds++] = fd;
	return fd;
}

/* The fd handed to the library for region i (the library closes it). */
static int
make_fd(struct model *m, uint32_t i, uint64_t fsize)
{
	struct mregion *r = &m->r[i];
	int p[2], fd;

	r->file_fd = -1;
	r->mappable = false;
	r->anon_from = UINT64_MAX;
	switch (r->kind) {
	case K_SAME:
		if (i > 0 && m->r[i - 1].file_fd >= 0) {
			r->file_fd = m->r[i - 1].file_fd;
			r->file = m->r[i - 1].file;
			r->fsize = m->r[i - 1].fsize;
			r->mappable = m->r[i - 1].mappable;
			r->sealed = m->r[i - 1].sealed;
			fd = fcntl(r->file_fd, F_DUPFD_CLOEXEC, 0);
			FUZZ_CHECK(fd >= 0, "dup: %s", strerror(errno));
			return fd;
		}
		/* region 0, or after a non-memfd: a new memfd */
		__attribute__((fallthrough));
	case 0:
	case 1:
	case 2:
	case 3:
	case K_SEALED:
	case K_WSEALED:
		r->fsize = fsize;
		r->file = m->n_memfds;
		r->file_fd = new_memfd(
			m, fsize,
			r->kind == K_SEALED
				? F_SEAL_SHRINK | F_SEAL_GROW
				: (r->kind == K_WSEALED ? F_SEAL_WRITE : 0));
		r->mappable = r->kind != K_WSEALED;
		r->sealed = r->kind == K_SEALED;
		fd = fcntl(r->file_fd, F_DUPFD_CLOEXEC, 0);
		FUZZ_CHECK(fd >= 0, "dup: %s", strerror(errno));
		return fd;
	case K_PIPE:
		FUZZ_CHECK(pipe2(p, O_CLOEXEC) == 0, "pipe: %s",
			   strerror(errno));
		close(p[fsize & 1]);
		return p[!(fsize & 1)];
	case K_NULL:
		fd = open("/dev/null", O_RDWR | O_CLOEXEC);
		FUZZ_CHECK(fd >= 0, "/dev/null: %s", strerror(errno));
		return fd;
	default: /* K_DIR */
		fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		FUZZ_CHECK(fd >= 0, "/: %s", strerror(errno));
		return fd;
	}
}

static bool
wraps(uint64_t a, uint64_t len)
{
	return a + len < a;
}

static bool
overlap(uint64_t a, uint64_t as, uint64_t b, uint64_t bs)
{
	return a < b + bs && b < a + as;
}

/* The model's verdict on the whole table. */
static bool
table_valid(const struct model *m)
{
	uint64_t sum = 0;

	if (m->n == 0 || m->n > TVU_MAX_MEM_REGIONS || m->n_fds != m->n)
		return false;
	for (uint32_t i = 0; i < m->n; i++) {
		const struct mregion *r = &m->r[i];
		const struct tvu_mem_region *in = &r->in;

		if (in->memory_size == 0 ||
		    wraps(in->guest_phys_addr, in->memory_size) ||
		    wraps(in->userspace_addr, in->memory_size) ||
		    wraps(in->mmap_offset, in->memory_size))
			return false;
		if (!r->mappable ||
		    in->mmap_offset + in->memory_size > r->fsize)
			return false;
		/* No overflow: each size is within its file (<= 64 MiB). */
		sum += in->memory_size;
		for (uint32_t j = 0; j < i; j++) {
			const struct tvu_mem_region *o = &m->r[j].in;

			if (overlap(o->guest_phys_addr, o->memory_size,
				    in->guest_phys_addr, in->memory_size) ||
			    overlap(o->userspace_addr, o->memory_size,
				    in->userspace_addr, in->memory_size))
				return false;
		}
	}
	return sum <= m->cap;
}

/* Does /proc/self/maps list a mapping of fd's file (by device and
 * inode, whatever its protection)? */
static bool
file_in_maps(int fd)
{
	char line[4096];
	struct stat st;
	bool found = false;
	FILE *f;

	FUZZ_CHECK(fstat(fd, &st) == 0, "fstat: %s", strerror(errno));
	f = fopen("/proc/self/maps", "re");
	FUZZ_CHECK(f != NULL, "/proc/self/maps: %s", strerror(errno));
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		unsigned int maj, min;
		unsigned long ino;

		if (sscanf(line, "%*s %*s %*s %x:%x %lu", &maj, &min, &ino) ==
			    3 &&
		    ino == st.st_ino && makedev(maj, min) == st.st_dev)
			found = true;
	}
	fclose(f);
	return found;
}

/* Is any of this input's files mapped? F_SEAL_WRITE succeeds only when
 * no shared writable mapping exists, so success says "no" cheaply (a
 * file already write-sealed says nothing, but nothing can map it writable
 * either). -EBUSY has a second cause: the kernel also refuses while
 * another part of it holds a page for longer than it waits (about 150 ms;
 * seen once in a 10-minute run, the input clean when replayed), so the
 * maps decide then. */
static bool
file_mapped(int fd)
{
	int seals = fcntl(fd, F_GET_SEALS);

	FUZZ_CHECK(seals >= 0, "F_GET_SEALS: %s", strerror(errno));
	if (seals & F_SEAL_WRITE)
		return false;
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE) == 0)
		return false;
	FUZZ_CHECK(errno == EBUSY, "F_ADD_SEALS(WRITE): %s", strerror(errno));
	if (file_in_maps(fd))
		return true;
	counts.seal_busy_unmapped++;
	return false;
}

static void
check_maps(void)
{
	char line[512];
	FILE *f = fopen("/proc/self/maps", "re");

	FUZZ_CHECK(f != NULL, "/proc/self/maps: %s", strerror(errno));
	while (fgets(line, sizeof(line), f) != NULL)
		FUZZ_CHECK(strstr(line, "/memfd:" MEMFD_NAME) == NULL,
			   "a mapping of a past input's file is left: %s",
			   line);
	fclose(f);
}

/* ptr is the host address of byte file_off of region r's file: bytes go
 * both ways between the mapping and the file, as long as the file holds
 * that byte. Past the file's end, the guard's part of the model. */
static void
access_byte(struct model *m, struct mregion *r, uint8_t *ptr, uint64_t file_off,
	    uint8_t salt)
{
	uint8_t a = (uint8_t)(0x5a ^ salt ^ file_off), b = (uint8_t)~a, got;
	uint64_t page = file_off & ~(uint64_t)(PAGE_SIZE - 1);
	uint64_t fsize = m->fsize_now[r->file];
	ssize_t rd;

	if (page >= r->anon_from) {
		/* The guard's private memory: plain memory, no file. */
		*(volatile uint8_t *)ptr = a;
		got = *(volatile uint8_t *)ptr;
		FUZZ_CHECK(got == a, "private page: wrote 0x%02x read 0x%02x",
			   a, got);
		return;
	}
	if (page >= RTE_ALIGN_CEIL(fsize, PAGE_SIZE)) {
		/* A page wholly past the end: SIGBUS, which the guard must
		 * absorb (else the process dies here), leaving zeros. */
		got = *(volatile uint8_t *)ptr;
		r->anon_from = page;
		r->faults++;
		counts.faults++;
		FUZZ_CHECK(got == 0,
			   "read 0x%02x from a page past the end of the file "
			   "(absorbed fault: zeros expected)",
			   got);
		*(volatile uint8_t *)ptr = a;
		got = *(volatile uint8_t *)ptr;
		FUZZ_CHECK(got == a, "private page: wrote 0x%02x read 0x%02x",
			   a, got);
		return;
	}
	*(volatile uint8_t *)ptr = a;
	rd = pread(r->file_fd, &got, 1, (off_t)file_off);
	if (file_off >= fsize) {
		/* The last page, past the end: still mapped, not the file's
		 * any more. */
		FUZZ_CHECK(rd == 0,
			   "pread at 0x%llx past the end (0x%llx): %zd",
			   (unsigned long long)file_off,
			   (unsigned long long)fsize, rd);
		got = *(volatile uint8_t *)ptr;
		FUZZ_CHECK(got == a, "wrote 0x%02x read 0x%02x", a, got);
		counts.past_eof++;
		return;
	}
	FUZZ_CHECK(rd == 1, "pread at 0x%llx: %s", (unsigned long long)file_off,
		   strerror(errno));
	FUZZ_CHECK(got == a,
		   "wrote 0x%02x through the pointer, the file has 0x%02x at "
		   "0x%llx: the pointer is not that byte of the file",
		   a, got, (unsigned long long)file_off);
	FUZZ_CHECK(pwrite(r->file_fd, &b, 1, (off_t)file_off) == 1,
		   "pwrite: %s", strerror(errno));
	got = *(volatile uint8_t *)ptr;
	FUZZ_CHECK(got == b,
		   "pwrote 0x%02x at 0x%llx, the pointer reads 0x%02x", b,
		   (unsigned long long)file_off, got);
	counts.bytes_checked++;
}

/* The region whose [start, start + size) holds addr in one space. */
static struct mregion *
find(struct model *m, bool gpa, uint64_t addr)
{
	for (uint32_t i = 0; i < m->n; i++) {
		const struct tvu_mem_region *in = &m->r[i].in;
		uint64_t start = gpa ? in->guest_phys_addr : in->userspace_addr;

		if (addr >= start && addr - start < in->memory_size)
			return &m->r[i];
	}
	return NULL;
}

static void
translate(struct model *m, const struct tvh_mem *mem, bool gpa, uint64_t addr,
	  uint64_t len, uint8_t salt)
{
	struct mregion *r = find(m, gpa, addr);
	uint64_t start, off = 0, left = 0, contig = 0, n;
	uint8_t *p;

	if (r != NULL) {
		start = gpa ? r->in.guest_phys_addr : r->in.userspace_addr;
		off = addr - start;
		left = r->in.memory_size - off;
	}
	if (gpa) {
		if (len == 0)
			len = 1; /* the function's contract: len > 0 */
		p = tvh_gpa_to_host(mem, addr, len, &contig);
		FUZZ_CHECK((p != NULL) == (r != NULL),
			   "tvh_gpa_to_host(0x%llx, %llu) = %p, the model "
			   "says %s",
			   (unsigned long long)addr, (unsigned long long)len,
			   (void *)p, r ? "a region holds it" : "none does");
		if (p == NULL) {
			counts.gpa_null++;
			return;
		}
		n = len < left ? len : left;
		FUZZ_CHECK(contig == n,
			   "tvh_gpa_to_host(0x%llx, %llu): contig %llu, the "
			   "model says %llu",
			   (unsigned long long)addr, (unsigned long long)len,
			   (unsigned long long)contig, (unsigned long long)n);
		counts.gpa_ok++;
	} else {
		bool want = r != NULL && len <= left;

		p = tvh_uva_to_host(mem, addr, len);
		FUZZ_CHECK((p != NULL) == want,
			   "tvh_uva_to_host(0x%llx, %llu) = %p, the model "
			   "says %s",
			   (unsigned long long)addr, (unsigned long long)len,
			   (void *)p, want ? "inside a region" : "refuse");
		if (p == NULL) {
			counts.uva_null++;
			return;
		}
		n = len;
		counts.uva_ok++;
	}
	access_byte(m, r, p, r->in.mmap_offset + off, salt);
	if (n > 1)
		access_byte(m, r, p + n - 1, r->in.mmap_offset + off + n - 1,
			    salt);
}

/* The front-end truncates (or grows back) the file of region r. */
static void
shrink(struct model *m, const struct mregion *r, uint64_t size)
{
	uint64_t now = m->fsize_now[r->file];
	int rc = ftruncate(r->file_fd, (off_t)size);

	counts.shrinks++;
	if (r->sealed && size != now) {
		FUZZ_CHECK(rc < 0 && errno == EPERM,
			   "a sealed file changed size (%d)", rc);
		return;
	}
	FUZZ_CHECK(rc == 0, "ftruncate: %s", strerror(errno));
	m->fsize_now[r->file] = size;
}

static void
run_ops(struct model *m, const struct tvh_mem *mem, struct fuzz_in *in)
{
	/* Every region's ends in both spaces, whatever the ops are. */
	for (uint32_t i = 0; i < m->n; i++) {
		const struct tvu_mem_region *r = &m->r[i].in;

		translate(m, mem, false, r->userspace_addr, r->memory_size, 1);
		translate(m, mem, true, r->guest_phys_addr, r->memory_size, 2);
		translate(m, mem, false, r->userspace_addr + r->memory_size - 1,
			  1, 3);
		translate(m, mem, true, r->guest_phys_addr + r->memory_size - 1,
			  1, 4);
	}
	for (uint32_t k = 0; k < MAX_OPS && fuzz_left(in) > 0; k++) {
		uint8_t op = fuzz_u8(in);
		bool gpa = op & 1;
		uint64_t addr, len;

		if ((op & 0xf8) == 0x80) {
			const struct mregion *r = &m->r[fuzz_u8(in) % m->n];

			shrink(m, r, fuzz_u32(in) % (MAX_FSIZE + 1));
			continue;
		}
		if (op & 2) {
			const struct tvu_mem_region *r =
				&m->r[fuzz_u8(in) % m->n].in;
			int32_t delta = (int32_t)fuzz_u32(in);

			addr = gpa ? r->guest_phys_addr : r->userspace_addr;
			if (op & 4)
				addr += r->memory_size;
			addr += (uint64_t)(int64_t)delta;
			len = fuzz_u32(in);
		} else {
			addr = fuzz_u64(in);
			len = fuzz_u64(in);
		}
		translate(m, mem, gpa, addr, len, (uint8_t)k);
	}
}

/* The device the table is mapped for: tvh_mem_map reads its cap and
 * counts in its stats, and owns its regions in the SIGBUS guard. Only the
 * fields the memory table uses are set. */
static struct tvh_dev dev;

/* The guard saw exactly the faults the model expects. */
static void
check_guard(const struct model *m)
{
	uint32_t want = 0, want_mask = 0, mask = 0, got;
	uint64_t wakes = 0;
	ssize_t rd;

	for (uint32_t i = 0; i < m->n; i++) {
		want += m->r[i].faults;
		if (m->r[i].faults != 0)
			want_mask |= 1u << i;
	}
	got = tvh_guard_faults(&dev, &mask);
	FUZZ_CHECK(got == want && mask == want_mask,
		   "guard reports %u faults in regions 0x%x, the model %u in "
		   "0x%x",
		   got, mask, want, want_mask);
	rd = read(tvh_guard_fd(), &wakes, sizeof(wakes));
	FUZZ_CHECK(want == 0 ? rd < 0 && errno == EAGAIN
			     : rd == sizeof(wakes) && wakes == want,
		   "guard eventfd: read %zd, count %llu, %u faults", rd,
		   (unsigned long long)wakes, want);
}

static void
init_once(void)
{
	snprintf(dev.log_name, sizeof(dev.log_name), "fuzz_vhost_mem");
	if (getenv("FUZZ_VERBOSE") == NULL)
		rte_log_set_global_level(RTE_LOG_CRIT);
	FUZZ_CHECK(tvh_guard_init() == 0, "tvh_guard_init");
	atexit(print_counts);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool init;
	struct fuzz_in in = {data, size, 0};
	struct model m;
	struct tvu_msg msg;
	struct tvh_mem mem;
	char why[WHY_MAX + WHY_GUARD];
	int handed[TVU_MAX_FDS];
	uint64_t unsealed_before;
	uint32_t n_unsealed = 0;
	uint8_t nb, w, c;
	size_t whylen;
	bool valid;
	int rc, probe;

	if (!init) {
		init = true;
		init_once();
	}
	counts.inputs++;
	memset(&m, 0, sizeof(m));
	memset(&msg, 0, sizeof(msg));
	for (uint32_t i = 0; i < TVU_MAX_FDS; i++)
		msg.fds[i] = -1;

	nb = fuzz_u8(&in);
	w = fuzz_u8(&in);
	c = fuzz_u8(&in);
	m.cap = c == 0 ? TVH_DEFAULT_MAX_GUEST_MEM : (uint64_t)c << 20;
	m.n = (uint32_t)(nb & 15) % 10;
	m.n_in = m.n < TVU_MAX_MEM_REGIONS ? m.n : TVU_MAX_MEM_REGIONS;
	m.n_fds = m.n_in;
	if (nb & 0x10)
		m.n_fds = m.n_in == 0 ? 1 : m.n_in - 1;
	whylen = w == 0 ? WHY_MAX : w;

	msg.request = TVU_SET_MEM_TABLE;
	msg.flags = TVU_FLAG_VERSION;
	msg.size = (uint32_t)(8 + sizeof(struct tvu_mem_region) * m.n_in);
	msg.payload.memory.nregions = m.n;
	for (uint32_t i = 0; i < m.n_in; i++) {
		struct mregion *r = &m.r[i];
		uint64_t fsize;
		uint8_t wide;

		r->kind = fuzz_u8(&in) % 10;
		fsize = fuzz_u32(&in) % (MAX_FSIZE + 1);
		wide = fuzz_u8(&in);
		r->in.guest_phys_addr = fuzz_u64(&in);
		r->in.userspace_addr = fuzz_u64(&in);
		r->in.memory_size = wide & 1 ? fuzz_u64(&in) : fuzz_u32(&in);
		r->in.mmap_offset = wide & 2 ? fuzz_u64(&in) : fuzz_u32(&in);
		msg.payload.memory.regions[i] = r->in;
		if (i < m.n_fds)
			msg.fds[i] = make_fd(&m, i, fsize);
		else
			r->file_fd = -1;
		n_unsealed += !r->sealed;
	}
	if (m.n_fds > m.n_in) { /* n = 0 with an fd anyway */
		msg.fds[0] = fcntl(new_memfd(&m, 4096, 0), F_DUPFD_CLOEXEC, 0);
		FUZZ_CHECK(msg.fds[0] >= 0, "dup: %s", strerror(errno));
	}
	msg.n_fds = m.n_fds;
	memcpy(handed, msg.fds, sizeof(handed));
	valid = table_valid(&m);

	memset(why, 0xa5, sizeof(why));
	dev.max_guest_mem = m.cap;
	unsealed_before = dev.stats.unsealed_regions;
	rc = tvh_mem_map(&dev, &mem, &msg, why, whylen);

	/* The message's fds are the library's: closed, success or not. */
	FUZZ_CHECK(msg.n_fds == 0, "n_fds %u after tvh_mem_map", msg.n_fds);
	for (uint32_t i = 0; i < m.n_fds; i++) {
		FUZZ_CHECK(msg.fds[i] == -1, "fds[%u] = %d left in the message",
			   i, msg.fds[i]);
		FUZZ_CHECK(fcntl(handed[i], F_GETFD) < 0 && errno == EBADF,
			   "fd %d (region %u) still open after tvh_mem_map "
			   "returned %d",
			   handed[i], i, rc);
	}
	for (size_t i = whylen; i < sizeof(why); i++)
		FUZZ_CHECK((uint8_t)why[i] == 0xa5,
			   "why[%zu] written, its length is %zu", i, whylen);

	if (rc == 0) {
		counts.accepted++;
		FUZZ_CHECK(valid, "table accepted, the model refuses it");
		FUZZ_CHECK(mem.n_regions == m.n, "%u regions mapped of %u",
			   mem.n_regions, m.n);
		FUZZ_CHECK(dev.stats.unsealed_regions - unsealed_before ==
				   n_unsealed,
			   "%llu regions counted unsealed, %u are",
			   (unsigned long long)(dev.stats.unsealed_regions -
						unsealed_before),
			   n_unsealed);
		/* Every memfd backs a region here: the mapping check below
		 * must see each of them mapped now. */
		for (uint32_t i = 0; i < m.n_memfds; i++)
			FUZZ_CHECK(file_mapped(m.memfds[i]),
				   "memfd %u is not mapped while the table is",
				   i);
		run_ops(&m, &mem, &in);
		check_guard(&m);
		tvh_mem_unmap(&mem);
		FUZZ_CHECK(mem.n_regions == 0, "tvh_mem_unmap left %u regions",
			   mem.n_regions);
	} else {
		counts.refused++;
		if (getenv("FUZZ_VERBOSE") != NULL)
			fprintf(stderr, "fuzz_vhost_mem: refused (%d): %.*s\n",
				rc, (int)whylen, why);
		FUZZ_CHECK(rc < 0 && rc > -4096, "tvh_mem_map returned %d", rc);
		FUZZ_CHECK(memchr(why, '\0', whylen) != NULL,
			   "reason not terminated within %zu bytes", whylen);
		FUZZ_CHECK(whylen < 2 || why[0] != '\0',
			   "refused (%d) without a reason", rc);
		/* The model has the cap: nothing else may refuse a valid
		 * table (the guard's 1024 slots never fill here: each input
		 * unmaps what it mapped). */
		FUZZ_CHECK(!valid, "valid table refused (%d): %s", rc, why);
		FUZZ_CHECK(mem.n_regions == 0, "refused, %u regions left",
			   mem.n_regions);
	}

	/* Nothing of this input stays mapped or open. */
	for (uint32_t i = 0; i < m.n_memfds; i++) {
		FUZZ_CHECK(!file_mapped(m.memfds[i]),
			   "memfd %u is still mapped (tvh_mem_map returned %d)",
			   i, rc);
		close(m.memfds[i]);
	}
	if (counts.inputs % MAPS_EVERY == 0)
		check_maps();
	probe = open("/dev/null", O_RDONLY | O_CLOEXEC);
	FUZZ_CHECK(probe >= 0, "/dev/null: %s", strerror(errno));
	fuzz_fd_watch(probe, FD_EVERY);
	close(probe);
	return 0;
}
