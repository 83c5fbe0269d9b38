/**
 * The user-space side: read the events a sink still holds, find the pages whose migration failed
 * (the join's step (a)), and for one page tell the puts of references that existed when it was
 * armed (the holders that blocked migration) from puts of references taken afterwards (the
 * review's reason to trace gets too).
 */
import type { Pfn } from "@mm/api";
import { EV_FAIL, EV_FREE, EV_GET, EV_PUT, EV_REF_GET, EV_REF_PUT, type EventList, type RenderContext } from "./api.js";
import { formatSecUsec } from "./events.js";

/** One reference event of the page, by index into the EventList. */
export interface RefEvent {
  readonly index: number;
  readonly ts: number;
  readonly pid: number;
  /** Count after the put (or get). */
  readonly count: number;
  /** Stack handle; 0 if none survives. */
  readonly handle: number;
}

export interface HolderReport {
  readonly pfn: Pfn;
  /** Failure events of the page in the buffer. */
  readonly failures: number;
  /** Index of the first failure event in the list, -1 if none is left (the join has nothing to start from). */
  readonly failureIndex: number;
  /** Puts of references that were held when the page was armed: the holders that blocked migration. */
  readonly held: readonly RefEvent[];
  /** Puts matched to a get taken after arming (temporary references). */
  readonly temporary: readonly RefEvent[];
  /**
   * Puts that may have dropped a reference held at arming or a get taken since by another task:
   * the buffer cannot tell which (gets traced, no own get of the task open, both kinds open).
   */
  readonly ambiguous: readonly RefEvent[];
  /** Gets after arming not released by the time the buffer was read. */
  readonly outstanding: readonly RefEvent[];
  /** Gets were traced, so `held` excludes new references; otherwise every put is in `held`. */
  readonly getsTraced: boolean;
  /** The page was freed (a count-0 put or a free record is in the buffer). */
  readonly freed: boolean;
}

function isPut(kind: number): boolean {
  return kind === EV_PUT || kind === EV_REF_PUT;
}
function isGet(kind: number): boolean {
  return kind === EV_GET || kind === EV_REF_GET;
}

/** Step (a) of the join: pfns of the failure events in the buffer, in order of first failure. */
export function failedPfns(list: EventList, reason?: number): Pfn[] {
  const seen = new Set<number>();
  const out: Pfn[] = [];
  for (let i = 0; i < list.length; i++) {
    if (list.kind[i] !== EV_FAIL || (reason !== undefined && list.reason[i] !== reason)) continue;
    const pfn = list.pfn[i];
    if (!seen.has(pfn)) {
      seen.add(pfn);
      out.push(pfn);
    }
  }
  return out;
}

/**
 * Step (b): the reference events of `pfn` from its first failure on (from the start of the buffer
 * when no failure is left). With traced gets a put is paired only where the buffer says which
 * reference it dropped:
 * - the task has a get of its own open: it drops that one (temporary; a task releases what it
 *   took, true of every path that takes and puts in one call);
 * - no get is open: it drops a reference held at arming (held);
 * - the count after the put shows no held reference is left besides the open gets
 *   (count + 1 <= open gets): it drops another task's get (temporary);
 * - otherwise it is ambiguous, and nothing is popped: the open gets stay open.
 * Without traced gets every put counts as held.
 */
export function findHolders(list: EventList, pfn: Pfn): HolderReport {
  let failureIndex = -1;
  let failures = 0;
  for (let i = 0; i < list.length; i++) {
    if (list.kind[i] === EV_FAIL && list.pfn[i] === pfn) {
      if (failureIndex < 0) failureIndex = i;
      failures++;
    }
  }
  const held: RefEvent[] = [];
  const temporary: RefEvent[] = [];
  const ambiguous: RefEvent[] = [];
  const open: RefEvent[] = [];
  let getsTraced = false;
  let freed = false;
  for (let i = Math.max(0, failureIndex); i < list.length; i++) {
    if (list.pfn[i] !== pfn) continue;
    const kind = list.kind[i];
    const ref: RefEvent = { index: i, ts: list.ts[i], pid: list.pid[i], count: list.count[i], handle: list.handle[i] };
    if (kind === EV_FREE) {
      freed = true;
    } else if (isGet(kind)) {
      getsTraced = true;
      open.push(ref);
    } else if (isPut(kind)) {
      if (ref.count === 0) freed = true;
      const own = open.findIndex((g) => g.pid === ref.pid);
      if (own >= 0) {
        open.splice(own, 1);
        temporary.push(ref);
      } else if (open.length === 0) {
        held.push(ref);
      } else if (ref.count + 1 <= open.length) {
        open.shift();
        temporary.push(ref);
      } else {
        ambiguous.push(ref);
      }
    }
  }
  return { pfn, failures, failureIndex, held, temporary, ambiguous, outstanding: open, getsTraced, freed };
}

/** A short text report of one page's holders, with their stacks. */
export function formatHolderReport(r: HolderReport, list: EventList, ctx: RenderContext): string {
  let out = `pfn 0x${r.pfn.toString(16)}: `;
  if (r.failureIndex >= 0) {
    const i = r.failureIndex;
    const reason = list.reason[i];
    out += `migration failed ${r.failures}x (reason=${reason >= 0 && reason < ctx.reasonNames.length ? ctx.reasonNames[reason] : "(null)"} err=${list.err[i]} count=${list.count[i]})\n`;
  } else {
    out += "no failure event left in the buffer\n";
  }
  const stack = (h: number): string => {
    if (h === 0) return "   (no stack in the buffer)\n";
    const frames = ctx.fetchStack(h);
    let s = "";
    for (let f = 0; f < frames.length; f++) s += `   ${ctx.symbols.symbolize(frames[f])}\n`;
    return s;
  };
  const label = r.getsTraced ? "reference held at failure, put" : "put after failure";
  for (const h of r.held) {
    out += ` ${label} by ${ctx.comm(h.pid)}-${h.pid} at [${formatSecUsec(h.ts).trimStart()}] count=${h.count}\n${stack(h.handle)}`;
  }
  for (const h of r.ambiguous) {
    out += ` ambiguous put (a held reference or another task's get) by ${ctx.comm(h.pid)}-${h.pid} at [${formatSecUsec(h.ts).trimStart()}] count=${h.count}\n${stack(h.handle)}`;
  }
  if (r.getsTraced) {
    out += ` ${r.temporary.length} temporary reference(s) taken and put after the failure`;
    out += r.outstanding.length > 0 ? `, ${r.outstanding.length} still held\n` : "\n";
  }
  if (r.held.length === 0 && r.ambiguous.length === 0) out += " no put of a pre-existing reference in the buffer\n";
  return out;
}
