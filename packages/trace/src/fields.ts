/**
 * The `key=value` payload of a kmem event (TP_printk of trace/events/kmem.h), filled into a
 * TraceEvent. pfn is hex (`0x…`) since 5.14 and decimal before; both are accepted.
 */
import { EV_ALLOC, EV_EXTFRAG, type TraceEvent } from "./event.js";
import type { GfpParser } from "./gfp-parse.js";

function int(v: string): number {
  if (v.startsWith("0x") || v.startsWith("0X")) return parseInt(v.slice(2), 16);
  return parseInt(v, 10);
}

/** Fills ev's payload fields from `text`; returns false when a field the event needs is missing. */
export function parseKmemFields(text: string, ev: TraceEvent, gfp: GfpParser): boolean {
  ev.pfn = -1;
  ev.order = 0;
  ev.migratetype = -1;
  ev.gfp = -1;
  ev.percpuRefill = false;
  let havePfn = false;
  let nullPage = false;
  let i = 0;
  const n = text.length;
  while (i < n) {
    while (i < n && text.charCodeAt(i) === 32) i++;
    const eq = text.indexOf("=", i);
    if (eq < 0) break;
    let end = text.indexOf(" ", eq);
    if (end < 0) end = n;
    const key = text.slice(i, eq);
    const val = text.slice(eq + 1, end);
    i = end + 1;
    switch (key) {
      case "page":
        // NULL prints as 0000000000000000 or (null); hashed pointers as (____ptrval____) or hex.
        nullPage = val === "(null)" || /^0+$/.test(val);
        break;
      case "pfn":
        ev.pfn = int(val);
        havePfn = Number.isFinite(ev.pfn);
        break;
      case "order":
        ev.order = int(val);
        break;
      case "migratetype":
        ev.migratetype = int(val);
        break;
      case "gfp_flags":
        ev.gfp = gfp.parse(val);
        break;
      case "percpu_refill":
        ev.percpuRefill = val === "1";
        break;
      case "alloc_order":
        ev.allocOrder = int(val);
        break;
      case "fallback_order":
        ev.fallbackOrder = int(val);
        break;
      case "alloc_migratetype":
        ev.allocMigratetype = int(val);
        break;
      case "fallback_migratetype":
        ev.fallbackMigratetype = int(val);
        break;
      case "fragmenting":
        ev.fragmenting = val === "1";
        break;
      case "change_ownership":
        ev.changeOwnership = val === "1";
        break;
      default:
        break;
    }
  }
  if (ev.kind === EV_EXTFRAG) ev.order = ev.allocOrder;
  // mm_page_alloc of a failed allocation: page NULL, pfn printed as 0.
  if (ev.kind === EV_ALLOC && nullPage) ev.pfn = -1;
  return havePfn && Number.isInteger(ev.order) && ev.order >= 0;
}
