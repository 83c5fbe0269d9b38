/**
 * The simulated costs of the reporting experiment and where each comes from. Measured numbers
 * are medians from `apps/mm-lab/calibration/calibrate.c` on the project's build machine (method
 * and raw output: apps/mm-lab/README.md, "Calibration"); the rest are named assumptions.
 */

/** calibrate.c, 3 runs on 2026-12-02 (Linux 6.18 on a 2-vCPU AMD EPYC Firecracker VM), medians. */
export const CALIBRATION = {
  /** madvise(MADV_DONTNEED) on touched anonymous memory backed by 4 KiB pages: slope of the fit over 4..128 MiB. */
  discard4kNsPerMiB: 70_000,
  /** The same on THP-backed memory (MADV_HUGEPAGE, 2 MiB-aligned ranges). */
  discardThpNsPerMiB: 3_600,
  /** First write to a 4 KiB page after the discard (fault + zero-fill). */
  refault4kNsPerPage: 1_400,
  /** The same per 4 KiB when the fault maps a 2 MiB THP (one fault zero-fills 512 pages). */
  refaultThpNsPerPage: 140,
  /** A pipe ping-pong between two threads: kick -> host thread -> completion, without the VM exit. */
  wakeRoundTripNs: 4_500,
  /** posix_fadvise(POSIX_FADV_DONTNEED) over a clean cached file, per page: dropping clean page cache. */
  reclaimCleanNsPerPage: 530,
  /** A 4 KiB pread of a page just dropped from the cache (virtio-blk here): a page cache refault. */
  rereadNsPerPage: 47_000,
} as const;

/** A host behind the virtio-balloon device: what one report and one refault cost. */
export interface DeviceModel {
  readonly name: string;
  readonly perRequestNs: number;
  readonly perMiBNs: number;
  readonly refaultNsPerPage: number;
  readonly source: string;
}

/** The device speeds the map sweeps, fastest first. */
export const DEVICES: readonly DeviceModel[] = [
  {
    name: "thp-host",
    perRequestNs: CALIBRATION.wakeRoundTripNs,
    perMiBNs: CALIBRATION.discardThpNsPerMiB,
    refaultNsPerPage: CALIBRATION.refaultThpNsPerPage,
    source: "measured: guest RAM in host THPs (QEMU madvises guest RAM MADV_HUGEPAGE)",
  },
  {
    name: "4k-host",
    perRequestNs: CALIBRATION.wakeRoundTripNs,
    perMiBNs: CALIBRATION.discard4kNsPerMiB,
    refaultNsPerPage: CALIBRATION.refault4kNsPerPage,
    source: "measured: guest RAM in 4 KiB host pages (the default: the slower measured host)",
  },
  {
    name: "slow-host",
    perRequestNs: 100_000,
    perMiBNs: 1_000_000,
    refaultNsPerPage: 2_000,
    source: "assumed: the previous invented default (1 ms/MiB, 14x the 4 KiB measurement), a contended host",
  },
];

/**
 * The reporting worker's own guest CPU (not the host's discard time): a report() call kicks the
 * virtqueue and takes the completion (the measured wake round trip), sg_init_table writes one
 * 32-byte scatterlist entry per entry (memset at ~10 GB/s is ~3 ns: 5 ns assumed), and each block
 * is isolated and put back under the zone lock (two list operations and the counters: 100 ns
 * assumed). Used to compare mechanisms (report calls and re-initialised entries), not as an absolute.
 */
export const WORKER_CPU = {
  perReportNs: CALIBRATION.wakeRoundTripNs,
  perSgEntryNs: 5,
  perBlockNs: 100,
} as const;

/** The worker's CPU time for `calls` report() calls, `entries` sg entries initialised and `blocks` blocks. */
export function workerCpuNs(calls: number, entries: number, blocks: number): number {
  return calls * WORKER_CPU.perReportNs + entries * WORKER_CPU.perSgEntryNs + blocks * WORKER_CPU.perBlockNs;
}

/** The default device: the slower of the two measured hosts. */
export const DEFAULT_DEVICE = "4k-host";
