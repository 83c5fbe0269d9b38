/**
 * Put a dump's allocations into a booted machine: every record at its pfn and order with its gfp
 * (allocPagesAt: take_page_off_buddy's split, prep_new_page), then every pageblock the records
 * name gets its `Block N type X` migratetype (set_pageblock_migratetype + move_freepages_block).
 * What is left free is the complement, already merged into buddies the way __free_one_page would.
 * Checks first, so a bad record never leaves a half-built machine: overlapping records, records
 * outside the memory map or across a zone boundary, records on reserved memory.
 */
import { MmError } from "@mm/api";
import type { BuddyMachine, PfnRange } from "@mm/buddy";
import type { DumpRecords } from "./dump.js";
import { zoneIndexOf } from "./memblock.js";

/** Why a record was not placed (lenient), beside the dump's own skip reasons. */
export type PlaceSkipReason = "OVERLAP" | "OUTSIDE_ZONES" | "CROSSES_ZONE";

/** Per-pfn owner index of the dump: -1 = no record; else the record index covering the pfn. */
export interface OwnerIndex {
  /** Record index per pfn (every page of a block), -1 where none. */
  readonly recOf: Int32Array;
  /** Records accepted (index into the dump), in file order. */
  readonly accepted: Uint8Array;
  readonly skipped: Readonly<Partial<Record<PlaceSkipReason, { count: number; firstLine: number }>>>;
  /** One past the highest pfn a record covers. */
  readonly end: number;
}

function inRanges(ranges: readonly PfnRange[], s: number, e: number): boolean {
  for (const r of ranges) if (s >= r.startPfn && e <= r.endPfn) return true;
  return false;
}

/**
 * Index the records by pfn and refuse the ones that cannot be real: overlapping another record
 * (both lines named), outside the memory map, across a zone boundary.
 * @throws MmError PARSE_ERROR with `{ file: "page_owner", line }` unless `lenient`.
 */
export function indexRecords(d: DumpRecords, ranges: readonly PfnRange[] | null, lenient: boolean): OwnerIndex {
  let end = 0;
  for (let i = 0; i < d.count; i++) end = Math.max(end, d.pfn[i] + 2 ** d.order[i]);
  const recOf = new Int32Array(end).fill(-1);
  const accepted = new Uint8Array(d.count);
  const skipped: Partial<Record<PlaceSkipReason, { count: number; firstLine: number }>> = {};
  const fail = (reason: PlaceSkipReason, line: number, msg: string): void => {
    if (!lenient) throw new MmError("PARSE_ERROR", `page_owner line ${line}: ${msg}`, { file: "page_owner", line, issue: reason });
    const s = skipped[reason];
    if (s === undefined) skipped[reason] = { count: 1, firstLine: line };
    else s.count++;
  };
  outer: for (let i = 0; i < d.count; i++) {
    const s = d.pfn[i];
    const e = s + 2 ** d.order[i];
    if (ranges !== null && !inRanges(ranges, s, e)) {
      fail("OUTSIDE_ZONES", d.line[i], `PFN ${s} (order ${d.order[i]}) lies outside the machine's memory map (in no zone)`);
      continue;
    }
    if (zoneIndexOf(s) !== zoneIndexOf(e - 1)) {
      fail("CROSSES_ZONE", d.line[i], `PFN ${s} order ${d.order[i]} crosses a zone boundary`);
      continue;
    }
    for (let p = s; p < e; p++) {
      const o = recOf[p];
      if (o !== -1) {
        fail("OVERLAP", d.line[i], `PFN ${s} order ${d.order[i]} overlaps the record at line ${d.line[o]} (PFN ${d.pfn[o]} order ${d.order[o]})`);
        continue outer;
      }
    }
    recOf.fill(i, s, e);
    accepted[i] = 1;
  }
  return { recOf, accepted, skipped, end };
}

/** Outcome of {@link placeRecords}. */
export interface Placement {
  readonly placedRecords: number;
  readonly placedPages: number;
  /** Pageblocks whose records disagreed about `Block N type X` (the dump is not atomic); last one wins. */
  readonly blockTypeConflicts: number;
  /** Pageblocks given a type from the dump. */
  readonly typedBlocks: number;
}

/**
 * Allocate every accepted record at its pfn (allocPagesAt) and set the pageblock types.
 * @throws MmError from the machine if a record lies on memory the machine holds reserved (the plan
 *   never does that; an inconsistent plan is a bug, not bad input).
 */
export function placeRecords(m: BuddyMachine, d: DumpRecords, idx: OwnerIndex): Placement {
  let placedRecords = 0;
  let placedPages = 0;
  const pbShift = m.pageblockOrder;
  const nrBlocks = Math.ceil(m.nrPfns / 2 ** pbShift);
  const blockType = new Int16Array(nrBlocks).fill(-1);
  let conflicts = 0;
  for (let i = 0; i < d.count; i++) {
    if (idx.accepted[i] === 0) continue;
    const pfn = d.pfn[i];
    m.allocPagesAt(pfn, d.order[i], d.gfp[i]);
    placedRecords++;
    placedPages += 2 ** d.order[i];
    const b = pfn >>> pbShift;
    const prev = blockType[b];
    if (prev !== -1 && prev !== d.blockMt[i]) conflicts++;
    blockType[b] = d.blockMt[i];
  }
  let typedBlocks = 0;
  for (let b = 0; b < nrBlocks; b++) {
    const t = blockType[b];
    if (t === -1) continue;
    typedBlocks++;
    if (m.pageblockMigratetype(b << pbShift) !== t) m.setPageblockMigratetype(b << pbShift, t);
  }
  return { placedRecords, placedPages, blockTypeConflicts: conflicts, typedBlocks };
}
