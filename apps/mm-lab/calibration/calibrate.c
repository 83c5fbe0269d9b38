/*
 * Device and reclaim cost calibration for `mm-lab run reporting-ab` (method: apps/mm-lab/README.md).
 *
 * What QEMU does on a free page report: virtio_balloon_handle_report() walks the buffer and calls
 * ram_block_discard_range() per entry, which is madvise(MADV_DONTNEED) on anonymous guest RAM; the
 * guest's next touch of such a page faults it back in (zero-filled). This program times, on this
 * machine:
 *   discard   madvise(MADV_DONTNEED) over k x 4 MiB ranges of touched anonymous memory (k = 1..32),
 *             host memory in 4 KiB pages (MADV_NOHUGEPAGE) and in THP (MADV_HUGEPAGE)
 *   wake      a pipe ping-pong between two threads: the kick -> host thread -> completion part of
 *             one report (the VM exit itself cannot be measured from here)
 *   refault   the first write to each 4 KiB page after MADV_DONTNEED
 *   reclaim   posix_fadvise(POSIX_FADV_DONTNEED) over a clean, cached file: dropping clean page cache
 *   reread    a 4 KiB pread of a page just dropped from the cache (a page cache refault)
 * Each figure is the median of its repetitions; it prints one JSON object.
 *
 * Build and run: cc -O2 -pthread -o /tmp/calibrate calibrate.c && /tmp/calibrate [scratch-dir]
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define MIB (1UL << 20)
#define RANGE (4 * MIB)
#define MAX_K 32
#define REPS 15

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void touch(char *p, size_t len)
{
	for (size_t off = 0; off < len; off += 4096)
		p[off] = 1;
}

/* Median ns of discarding k touched 4 MiB ranges, one madvise per range (as QEMU, per entry). */
static double discard_ns(char *base, int k)
{
	double t[REPS];
	for (int r = 0; r < REPS; r++) {
		touch(base, (size_t)k * RANGE);
		double t0 = now_ns();
		for (int i = 0; i < k; i++)
			if (madvise(base + (size_t)i * RANGE, RANGE, MADV_DONTNEED)) {
				perror("madvise");
				exit(1);
			}
		t[r] = now_ns() - t0;
	}
	return median(t, REPS);
}

/* Least squares ns = a + b * MiB over k = 1, 2, 4, ..., 32 ranges. */
static void fit_discard(const char *name, int advice, int first)
{
	size_t len = (size_t)MAX_K * RANGE + 2 * MIB;
	char *raw = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	char *base = (char *)(((uintptr_t)raw + 2 * MIB - 1) & ~(2 * MIB - 1));
	madvise(base, (size_t)MAX_K * RANGE, advice);
	double sx = 0, sy = 0, sxx = 0, sxy = 0;
	int n = 0;
	printf("%s\"%s\": {\"points\": [", first ? "" : ", ", name);
	for (int k = 1; k <= MAX_K; k *= 2) {
		double y = discard_ns(base, k), x = (double)k * RANGE / MIB;
		printf("%s[%g, %.0f]", k == 1 ? "" : ", ", x, y);
		sx += x, sy += y, sxx += x * x, sxy += x * y, n++;
	}
	double b = (n * sxy - sx * sy) / (n * sxx - sx * sx), a = (sy - b * sx) / n;
	/* refault: first write to each page after the discard */
	double t[REPS];
	for (int r = 0; r < REPS; r++) {
		touch(base, 8 * RANGE);
		madvise(base, 8 * RANGE, MADV_DONTNEED);
		double t0 = now_ns();
		touch(base, 8 * RANGE);
		t[r] = (now_ns() - t0) / (8 * RANGE / 4096);
	}
	printf("], \"intercept_ns\": %.0f, \"ns_per_mib\": %.0f, \"refault_ns_per_page\": %.0f}", a, b, median(t, REPS));
	munmap(raw, len);
}

static int pipes[2][2];

static void *pong(void *arg)
{
	(void)arg;
	char c;
	while (read(pipes[0][0], &c, 1) == 1 && c != 'q')
		if (write(pipes[1][1], &c, 1) != 1)
			break;
	return NULL;
}

static double wake_ns(void)
{
	enum { N = 2001 };
	static double t[N];
	pthread_t th;
	if (pipe(pipes[0]) || pipe(pipes[1]))
		exit(1);
	pthread_create(&th, NULL, pong, NULL);
	char c = 'p';
	for (int i = 0; i < N; i++) {
		double t0 = now_ns();
		if (write(pipes[0][1], &c, 1) != 1 || read(pipes[1][0], &c, 1) != 1)
			exit(1);
		t[i] = now_ns() - t0;
	}
	c = 'q';
	if (write(pipes[0][1], &c, 1) != 1)
		exit(1);
	pthread_join(th, NULL);
	return median(t, N);
}

static void page_cache(const char *dir)
{
	enum { PAGES = 16384 }; /* 64 MiB */
	char path[4096];
	snprintf(path, sizeof(path), "%s/mm-lab-calibrate.tmp", dir);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0) {
		perror(path);
		exit(1);
	}
	unlink(path);
	static char buf[1 << 20];
	memset(buf, 7, sizeof(buf));
	for (int i = 0; i < PAGES / 256; i++)
		if (write(fd, buf, sizeof(buf)) != sizeof(buf))
			exit(1);
	fsync(fd);
	double t[REPS], rr[REPS * 64];
	int nrr = 0;
	unsigned seed = 1;
	for (int r = 0; r < REPS; r++) {
		/* make it cached, then drop it: every page is clean (fsync above) */
		for (off_t off = 0; off < (off_t)PAGES * 4096; off += sizeof(buf))
			if (pread(fd, buf, sizeof(buf), off) != sizeof(buf))
				exit(1);
		double t0 = now_ns();
		posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
		t[r] = (now_ns() - t0) / PAGES;
		for (int i = 0; i < 64; i++) {
			off_t off = (off_t)(rand_r(&seed) % PAGES) * 4096;
			double t1 = now_ns();
			if (pread(fd, buf, 4096, off) != 4096)
				exit(1);
			rr[nrr++] = now_ns() - t1;
		}
	}
	printf(", \"reclaim_clean_ns_per_page\": %.0f, \"reread_ns_per_page\": %.0f", median(t, REPS), median(rr, nrr));
	close(fd);
}

int main(int argc, char **argv)
{
	printf("{");
	fit_discard("discard_4k", MADV_NOHUGEPAGE, 1);
	fit_discard("discard_thp", MADV_HUGEPAGE, 0);
	printf(", \"wake_roundtrip_ns\": %.0f", wake_ns());
	page_cache(argc > 1 ? argv[1] : ".");
	printf("}\n");
	return 0;
}
