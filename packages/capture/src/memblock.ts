/**
 * Rebuild a capture's boot memory map for @mm/buddy's createMachine: which pfns are memory, which
 * stay reserved by memblock for good, which were reserved when init_per_zone_wmark_min ran and
 * freed later (initrd, init sections). Kernel counterparts: e820 / memblock.memory (the map),
 * memblock_free_all (what becomes free), mem_init_print_info (the `Memory:` line's reserved count),
 * free_reserved_area / free_init_pages (the `Freeing ... memory` lines).
 *
 * Where the capture pins a fact it is used as is (iomem's System RAM and kernel image, dmesg's
 * node ranges and RAMDISK, zoneinfo's managed pages). Where it does not, the choice is stated in
 * `assumptions`: where the reserved pages are (a page_owner dump says which pfns are allocated,
 * not which of the rest are reserved rather than free).
 */
import { MAX_NR_ZONES, MAX_PAGE_ORDER, ZONE_DMA32_END_PFN, ZONE_DMA_END_PFN, ZONE_NAMES, ZONE_NORMAL } from "@mm/api";
import type { PfnRange } from "@mm/buddy";
import { freedBeforeWatermarks, type Dmesg } from "./dmesg.js";
import type { Iomem } from "./iomem.js";
import type { ZoneinfoZone } from "./zoneinfo.js";

/** Where the usable memory map came from. */
export type MapSource = "iomem" | "dmesg node ranges" | "dmesg e820" | "zoneinfo spans" | "dump extent";

/** The boot plan: createMachine's ranges / reserved / lateFree, plus how each was derived. */
export interface BootPlan {
  readonly ranges: readonly PfnRange[];
  readonly mapSource: MapSource;
  /** Reserved for good (PG_reserved, never in the buddy allocator). */
  readonly reserved: readonly PfnRange[];
  /** Reserved at the first watermark setup, freed afterwards. */
  readonly lateFree: readonly PfnRange[];
  /** Per zone index: pages of `reserved` taken from the capture itself (iomem's kernel image). */
  readonly reservedExact: readonly number[];
  /** Per zone index: pages of `reserved` whose place was inferred. */
  readonly reservedInferred: readonly number[];
  /** Per zone: reserved pages the capture asked for that found no free pfn (the dump holds more). */
  readonly reservedShortfall: readonly number[];
  /** Per zone: present pages of the map. */
  readonly present: readonly number[];
  /** Pages freed before init_per_zone_wmark_min, and after it, per `Freeing` line. */
  readonly earlyFreedPages: number;
  readonly lateFreedPages: number;
  readonly assumptions: readonly string[];
}

/** Inputs of {@link planBoot}. */
export interface PlanInputs {
  readonly dmesg: Dmesg | null;
  readonly iomem: Iomem | null;
  readonly zoneinfo: readonly ZoneinfoZone[] | null;
  /** 1 for every pfn the dump holds allocated. */
  readonly allocated: Uint8Array;
  readonly map: MemoryMap;
  /**
   * Without dmesg: pages freed after init_per_zone_wmark_min, inferred from zoneinfo's watermarks
   * (boot.ts inferLateFrees), counted in the kernel image's zone. @defaultValue 0
   */
  readonly inferredLateFreedPages?: number;
}

/** x86-64 zone bounds (ZONE_DMA < 16 MiB, ZONE_DMA32 < 4 GiB, then Normal). */
export function zoneBounds(z: number): [number, number] {
  const b = [0, ZONE_DMA_END_PFN, ZONE_DMA32_END_PFN, Number.MAX_SAFE_INTEGER];
  return z <= ZONE_NORMAL ? [b[z], b[z + 1]] : [0, 0];
}

/** Zone index of a pfn under the x86-64 layout. */
export function zoneIndexOf(pfn: number): number {
  return pfn < ZONE_DMA_END_PFN ? 0 : pfn < ZONE_DMA32_END_PFN ? 1 : ZONE_NORMAL;
}

function clip(ranges: readonly PfnRange[], lo: number, hi: number): PfnRange[] {
  const out: PfnRange[] = [];
  for (const r of ranges) {
    const s = Math.max(r.startPfn, lo);
    const e = Math.min(r.endPfn, hi);
    if (e > s) out.push({ startPfn: s, endPfn: e });
  }
  return out;
}

function pagesOf(ranges: readonly PfnRange[]): number {
  let n = 0;
  for (const r of ranges) n += r.endPfn - r.startPfn;
  return n;
}

/** Runs of pfns in `ranges` where `mark` is 0, as ranges. */
function unmarkedRuns(ranges: readonly PfnRange[], mark: Uint8Array, late: Uint8Array): PfnRange[] {
  const out: PfnRange[] = [];
  for (const r of ranges) {
    let p = r.startPfn;
    while (p < r.endPfn) {
      while (p < r.endPfn && (mark[p] | late[p]) !== 0) p++;
      const s = p;
      while (p < r.endPfn && (mark[p] | late[p]) === 0) p++;
      if (p > s) out.push({ startPfn: s, endPfn: p });
    }
  }
  return out;
}

/** Sorted, merged ranges from a pfn mark array (value `v`) inside [lo, hi). */
function markedRanges(mark: Uint8Array, v: number, lo: number, hi: number): PfnRange[] {
  const out: PfnRange[] = [];
  let p = lo;
  while (p < hi) {
    while (p < hi && mark[p] !== v) p++;
    const s = p;
    while (p < hi && mark[p] === v) p++;
    if (p > s) out.push({ startPfn: s, endPfn: p });
  }
  return out;
}

/** pfn of 1 MiB: the end of x86's legacy hole (ISA / VGA / BIOS, 0xA0000-0xFFFFF). */
const ISA_END_PFN = 256;

/** `mark` values: allocated in the dump, reserved for good. */
const MARK_RESERVED = 2;

/** The usable memory map and where it came from (the first source the capture has). */
export interface MemoryMap {
  readonly ranges: readonly PfnRange[];
  readonly source: MapSource;
  readonly assumptions: readonly string[];
}

/** Pick the memory map: iomem System RAM, dmesg's memblock node ranges, e820, zoneinfo spans, the dump. */
export function memoryMap(dmesg: Dmesg | null, iomem: Iomem | null, zoneinfo: readonly ZoneinfoZone[] | null, dumpEnd: number): MemoryMap {
  const assumptions: string[] = [];
  let ranges: readonly PfnRange[];
  let mapSource: MapSource;
  if (iomem !== null && !iomem.hidden && iomem.systemRam.length > 0) {
    ranges = iomem.systemRam;
    mapSource = "iomem";
  } else if (dmesg !== null && dmesg.nodeRanges.length > 0) {
    ranges = dmesg.nodeRanges;
    mapSource = "dmesg node ranges";
  } else if (dmesg !== null && dmesg.e820Usable.length > 0) {
    // The kernel reserves pfn 0 (e820 "update [mem 0x0-0xfff] usable ==> reserved" on x86).
    ranges = clip(dmesg.e820Usable, 1, Number.MAX_SAFE_INTEGER);
    mapSource = "dmesg e820";
  } else if (zoneinfo !== null && zoneinfo.some((z) => z.startPfn !== null && z.spanned > 0)) {
    const spans: PfnRange[] = [];
    let holes = false;
    for (const z of zoneinfo) {
      if (z.startPfn === null || z.spanned === 0) continue;
      const s = z.startPfn;
      const e = s + z.spanned;
      const missing = z.spanned - z.present;
      // x86: 640 KiB..1 MiB (pfn 160..256, VGA and BIOS) is never RAM, and e820 marks the EBDA
      // pages below it reserved too: a DMA zone's missing pages end at pfn 256.
      if (z.name === "DMA" && missing > 0 && e > ISA_END_PFN && missing <= ISA_END_PFN - s) {
        spans.push({ startPfn: s, endPfn: ISA_END_PFN - missing }, { startPfn: ISA_END_PFN, endPfn: e });
        assumptions.push(`memory map from zoneinfo spans: zone DMA's ${missing} missing pages taken as the x86 hole below 1 MiB, [${ISA_END_PFN - missing}, ${ISA_END_PFN})`);
      } else {
        spans.push({ startPfn: s, endPfn: e });
        holes ||= missing !== 0;
      }
    }
    ranges = spans;
    mapSource = "zoneinfo spans";
    if (holes) assumptions.push("memory map from zoneinfo spans: holes inside a zone are not known and are modelled as memory");
  } else {
    const end = Math.ceil(Math.max(dumpEnd, 1) / 2 ** MAX_PAGE_ORDER) * 2 ** MAX_PAGE_ORDER;
    ranges = [{ startPfn: 0, endPfn: end }];
    mapSource = "dump extent";
    assumptions.push(`no memory map in the capture (iomem, dmesg or zoneinfo): memory modelled as pfn 0..${end}, the dump's extent rounded up to a max-order block`);
  }
  if (iomem?.hidden === true) assumptions.push("iomem was read without CAP_SYS_ADMIN (all addresses 0): not used");
  // The model's zones are x86-64's: say so when the boot log's `Zone ranges` end elsewhere.
  if (dmesg !== null) {
    for (const [name, r] of Object.entries(dmesg.zoneRanges)) {
      const z = ZONE_NAMES.indexOf(name);
      if (r === null || z < 0 || z > ZONE_NORMAL) continue;
      const [lo, hi] = zoneBounds(z);
      if (r.startPfn < lo || r.endPfn > hi)
        assumptions.push(`dmesg Zone ranges: ${name} [${r.startPfn}, ${r.endPfn}) is not the x86-64 layout the model uses`);
    }
  }
  // Merge and sort.
  ranges = [...ranges].sort((a, b) => a.startPfn - b.startPfn).reduce<PfnRange[]>((acc, r) => {
    const last = acc[acc.length - 1];
    if (last !== undefined && r.startPfn <= last.endPfn) acc[acc.length - 1] = { startPfn: last.startPfn, endPfn: Math.max(last.endPfn, r.endPfn) };
    else acc.push(r);
    return acc;
  }, []);
  return { ranges, source: mapSource, assumptions };
}

/**
 * Derive the boot plan. Reserved pages whose place the capture does not give are put on pfns the
 * dump does not hold, smallest buddy fragments first and, within an order, highest pfn first:
 * real reservations (memmap, page tables, the kernel image) are what fills the odd-sized gaps
 * between allocations, while a free max-order block is rarely reserved; and memblock allocates top
 * down. The import reports how far the buddyinfo this gives is from the real one.
 */
export function planBoot(inp: PlanInputs): BootPlan {
  const assumptions: string[] = [...inp.map.assumptions];
  const { dmesg, iomem, zoneinfo } = inp;
  const ranges = inp.map.ranges;
  const mapSource = inp.map.source;
  const end = ranges[ranges.length - 1].endPfn;
  const mark = new Uint8Array(Math.max(end, inp.allocated.length));
  mark.set(inp.allocated.subarray(0, mark.length));

  const present: number[] = [];
  for (let z = 0; z < MAX_NR_ZONES; z++) present.push(pagesOf(clip(ranges, ...zoneBounds(z))));
  const zi = (name: string): ZoneinfoZone | undefined => zoneinfo?.find((z) => z.name === name && z.node === 0);

  // ---- late and early frees (dmesg) ------------------------------------------------------------
  let earlyFreedPages = 0;
  let lateFreedPages = 0;
  // 1 where the page was reserved at the first watermark setup and freed later.
  const late = new Uint8Array(mark.length);
  let kernelZone = iomem !== null && iomem.kernelImage.length > 0 ? zoneIndexOf(iomem.kernelImage[0].startPfn) : -1;
  if (kernelZone < 0) {
    // CONFIG_PHYSICAL_START defaults to 16 MiB on x86-64: the zone holding pfn 4096.
    kernelZone = present[zoneIndexOf(ZONE_DMA_END_PFN)] > 0 ? zoneIndexOf(ZONE_DMA_END_PFN) : present.findLastIndex((p) => p > 0);
  }
  let kernelLate = 0;
  if (dmesg !== null) {
    for (const f of dmesg.frees) {
      const n = Math.floor(f.kb / 4);
      if (freedBeforeWatermarks(f.what)) {
        earlyFreedPages += n;
        continue;
      }
      lateFreedPages += n;
      if (f.what === "initrd" && dmesg.ramdisk !== null && dmesg.ramdisk.endPfn - dmesg.ramdisk.startPfn === n) {
        const r = clip([dmesg.ramdisk], 0, end)[0];
        if (r !== undefined && pagesOf(clip(ranges, r.startPfn, r.endPfn)) === n) {
          late.fill(1, r.startPfn, r.endPfn);
          continue;
        }
      }
      kernelLate += n;
    }
    if (kernelLate > 0)
      assumptions.push(
        `${kernelLate} pages of "Freeing" lines other than the initrd are counted in zone ${ZONE_NAMES[kernelZone]}` +
          (iomem !== null && iomem.kernelImage.length > 0 ? " (iomem's kernel image)" : " (the zone of CONFIG_PHYSICAL_START, 16 MiB: no iomem kernel image)"),
      );
  } else if ((inp.inferredLateFreedPages ?? 0) > 0) {
    kernelLate = inp.inferredLateFreedPages!;
    lateFreedPages = kernelLate;
    assumptions.push(
      `no dmesg: ${kernelLate} pages freed after the first watermark setup (initrd, initmem) inferred from zoneinfo's watermarks and protection, counted in zone ${ZONE_NAMES[kernelZone]}`,
    );
  } else {
    assumptions.push("no dmesg: no memory freed after the first watermark setup is known (initrd, initmem)");
  }

  // ---- reserved pages per zone -----------------------------------------------------------------
  const want = new Array<number>(MAX_NR_ZONES).fill(0);
  let pooled = -1; // reserved count known only in total (dmesg)
  if (zoneinfo !== null) {
    for (let z = 0; z < MAX_NR_ZONES; z++) {
      const row = zi(ZONE_NAMES[z]);
      if (row === undefined || row.present === 0) continue;
      if (row.present !== present[z])
        assumptions.push(`zone ${ZONE_NAMES[z]}: the memory map gives ${present[z]} present pages, zoneinfo ${row.present}`);
      want[z] = Math.max(0, present[z] - row.managed);
    }
  } else if (dmesg?.memory != null) {
    pooled = Math.max(0, Math.floor(dmesg.memory.reservedK / 4) - earlyFreedPages - lateFreedPages);
    assumptions.push(`no zoneinfo: ${pooled} reserved pages (dmesg Memory: reserved − later frees) spread over the zones by the placement rule`);
  } else {
    assumptions.push("no zoneinfo and no dmesg Memory: line: no reserved pages; every pfn the dump does not hold is free");
  }
  const reservedExact = new Array<number>(MAX_NR_ZONES).fill(0);
  const reservedInferred = new Array<number>(MAX_NR_ZONES).fill(0);
  const reservedShortfall = new Array<number>(MAX_NR_ZONES).fill(0);
  // The kernel image (iomem) is reserved for good, where the dump does not say otherwise.
  if (iomem !== null) {
    for (const r of clip(iomem.kernelImage, 0, end)) {
      for (let p = r.startPfn; p < r.endPfn; p++) {
        const z = zoneIndexOf(p);
        if (mark[p] !== 0 || late[p] !== 0 || (pooled < 0 && reservedExact[z] >= want[z])) continue;
        if (pagesOf(clip(ranges, p, p + 1)) === 0) continue;
        mark[p] = MARK_RESERVED;
        reservedExact[z]++;
      }
    }
  }
  const place = (z: number, need: number): number => {
    if (need <= 0) return 0;
    const [lo, hi] = zoneBounds(z);
    const runs = unmarkedRuns(clip(ranges, lo, hi), mark, late);
    // Buddy blocks of the runs (the free memory they would become), smallest order first.
    const blocks: { pfn: number; order: number }[] = [];
    for (const r of runs) {
      let s = r.startPfn;
      while (s < r.endPfn) {
        let o = s === 0 ? MAX_PAGE_ORDER : Math.min(MAX_PAGE_ORDER, 31 - Math.clz32(s & -s));
        while (s + 2 ** o > r.endPfn) o--;
        blocks.push({ pfn: s, order: o });
        s += 2 ** o;
      }
    }
    blocks.sort((a, b) => a.order - b.order || b.pfn - a.pfn);
    let got = 0;
    for (const b of blocks) {
      if (got >= need) break;
      const take = Math.min(2 ** b.order, need - got);
      // The top of a block: the rest stays one aligned run.
      mark.fill(MARK_RESERVED, b.pfn + 2 ** b.order - take, b.pfn + 2 ** b.order);
      got += take;
    }
    return got;
  };
  if (pooled >= 0) {
    let left = pooled;
    for (let z = MAX_NR_ZONES - 1; z >= 0 && left > 0; z--) left -= place(z, left);
    if (left > 0) reservedShortfall[kernelZone] = left;
    for (let z = 0; z < MAX_NR_ZONES; z++) {
      const [lo, hi] = zoneBounds(z);
      reservedInferred[z] = pagesOf(markedRanges(mark, MARK_RESERVED, lo, Math.min(hi, mark.length))) - reservedExact[z];
    }
  } else {
    for (let z = 0; z < MAX_NR_ZONES; z++) {
      const got = place(z, want[z] - reservedExact[z]);
      reservedInferred[z] = got;
      reservedShortfall[z] = Math.max(0, want[z] - reservedExact[z] - got);
    }
  }
  if (reservedInferred.some((n) => n > 0))
    assumptions.push("reserved pages not pinned by iomem are placed on pfns the dump does not hold, smallest gaps first, top down");

  // ---- the other late frees: any memory of the kernel's zone that is not reserved ----------------
  if (kernelLate > 0) {
    const [lo, hi] = zoneBounds(kernelZone);
    let need = kernelLate;
    const zr = clip(ranges, lo, hi);
    for (let i = zr.length - 1; i >= 0 && need > 0; i--) {
      for (let p = zr[i].endPfn - 1; p >= zr[i].startPfn && need > 0; p--) {
        if (mark[p] === MARK_RESERVED || late[p] !== 0) continue;
        late[p] = 1;
        need--;
      }
    }
    if (need > 0) assumptions.push(`${need} late-freed pages found no room in zone ${ZONE_NAMES[kernelZone]}`);
  }
  const reserved = markedRanges(mark, MARK_RESERVED, 0, end);
  const lateFree = markedRanges(late, 1, 0, end);
  return {
    ranges,
    mapSource,
    reserved,
    lateFree,
    reservedExact,
    reservedInferred,
    reservedShortfall,
    present,
    earlyFreedPages,
    lateFreedPages,
    assumptions,
  };
}
