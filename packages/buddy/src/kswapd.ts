/**
 * Waking kswapd. The model runs it synchronously through the ReclaimPolicy; when it finishes the
 * watermark boost is gone, as balance_pgdat leaves it. Kernel counterpart: mm/vmscan.c
 * (wakeup_kswapd), mm/page_alloc.c (wake_all_kswapds).
 */
import { type NodeState } from "./internal/node.js";

/** wakeup_kswapd() / wake_all_kswapds(): one node, one kswapd for all zones. */
export function wakeupKswapd(s: NodeState, order: number, highestZoneIdx: number): void {
  if (s.reclaim.kswapd !== undefined) s.reclaim.kswapd(order, highestZoneIdx);
  for (const z of s.zones) z.watermarkBoost = 0;
}
