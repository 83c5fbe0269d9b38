/** Test helpers: the fixture's boot, and a byte snapshot of every array and counter. */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type BuddyMachine, type MachineOptions } from "@mm/buddy";

export const FIXTURE_DIR = fileURLToPath(new URL("../../../fixtures/kernel-6.1-256M/", import.meta.url));

export function readFixture(rel: string): string {
  return readFileSync(`${FIXTURE_DIR}${rel}`, "utf8");
}

/**
 * The fixture's boot (proc/dmesg.txt, proc/zoneinfo.txt): e820 usable [0x1000, 0x9f000) and
 * [0x100000, 0xffdd000); the first 1 MiB reserved (158 pages of DMA); DMA32 reserved so that its
 * final managed count is 51112; 1602 pages of init memory freed late (initrd 1332K + initmem
 * 2112K + text/rodata gap 2040K + rodata/data gap 924K); THP set to madvise by the workload.
 */
export const FIXTURE_BOOT: MachineOptions = {
  ranges: [
    { startPfn: 1, endPfn: 159 },
    { startPfn: 256, endPfn: 65501 },
  ],
  reserved: [
    { startPfn: 1, endPfn: 159 },
    // 61405 present - 51112 managed = 10293 pages stay reserved in DMA32 (kernel image, memmap...).
    { startPfn: 4096, endPfn: 4096 + 10293 },
  ],
  lateFreedPages: (1332 + 2112 + 2040 + 924) / 4,
  thp: true,
};

/** Every byte of page state plus the zone counters: equal snapshots mean identical state. */
export function snapshot(m: BuddyMachine): string {
  const parts: string[] = [];
  for (const a of [m.flags, m.refcount, m.order, m.next, m.prev, m.pageblockMt, m.pageblockWasHighatomic, m.nrFreeArr])
    parts.push(Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString("base64"));
  parts.push(JSON.stringify(m.zones.map((z) => ({ ...z, lowmemReserve: [...z.lowmemReserve] }))));
  parts.push(JSON.stringify(m.stats));
  return parts.join("|");
}
