/**
 * The replayed machine against the real one's /proc/buddyinfo taken when the trace ended: free
 * blocks per zone and order, and the free pages each side has. The replay starts with every page
 * the trace never touched free (kernel image, memmap, boot-time allocations that live on), and the
 * real machine's per-CPU lists hold pages that buddyinfo does not count; both are named.
 */
import { type BuddyinfoRow, parseBuddyinfo } from "@mm/buddy";

export interface BuddyinfoZoneDiff {
  readonly zone: string;
  readonly real: readonly number[];
  readonly replay: readonly number[];
  readonly realFreePages: number;
  readonly replayFreePages: number;
}

function pages(counts: readonly number[]): number {
  return counts.reduce((s, n, o) => s + n * 2 ** o, 0);
}

export function compareBuddyinfo(realText: string, replayText: string): BuddyinfoZoneDiff[] {
  const real = parseBuddyinfo(realText);
  const replay = parseBuddyinfo(replayText);
  const byZone = new Map<string, BuddyinfoRow>(replay.map((r) => [r.zone, r]));
  return real.map((r) => {
    const m = byZone.get(r.zone);
    const rc = [...r.counts];
    const mc = m === undefined ? rc.map(() => 0) : [...m.counts];
    return { zone: r.zone, real: rc, replay: mc, realFreePages: pages(rc), replayFreePages: pages(mc) };
  });
}
