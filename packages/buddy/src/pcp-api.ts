/**
 * The per-cpu lists' public operations with their input checks (MmError EINVAL, state untouched),
 * for machine.ts's methods. Kernel counterpart: smp_processor_id (setCpu), drain_all_pages,
 * zoneinfo's "pagesets", percpu_pagelist_high_fraction_sysctl_handler, set/clear_reclaim_active.
 */
import { MmError } from "@mm/api";
import { type NodeState } from "./internal/node.js";
import { checkHighFraction, type PagesetRow, pagesetRows, PerCpuPages } from "./pcp.js";

function checkZone(s: NodeState, zone: number): void {
  if (!(Number.isInteger(zone) && zone >= 0 && zone < s.zones.length)) throw new MmError("EINVAL", `zone ${zone}`);
}

function pcpOrThrow(s: NodeState, what: string): PerCpuPages {
  const p = s.pcp;
  if (!(p instanceof PerCpuPages)) throw new MmError("EINVAL", `${what}: the machine has no per-cpu lists (MachineOptions.pcp)`);
  return p;
}

/** Run on `cpu` from now on. */
export function setCpu(s: NodeState, cpu: number): void {
  const cpus = s.pcp === null ? 1 : s.pcp.cpus;
  if (!(Number.isInteger(cpu) && cpu >= 0 && cpu < cpus)) throw new MmError("EINVAL", `cpu ${cpu} is not in 0..${cpus - 1}`);
  if (s.pcp !== null) s.pcp.cpu = cpu;
}

/** Pages on the pcp lists of a zone, or of every zone. */
export function pcpPages(s: NodeState, zone?: number): number {
  if (zone !== undefined) checkZone(s, zone);
  if (s.pcp === null) return 0;
  if (zone !== undefined) return s.pcp.zoneCount(zone);
  let n = 0;
  for (const z of s.zones) n += s.pcp.zoneCount(z.idx);
  return n;
}

/** drain_all_pages(zone or NULL). */
export function drainAllPagesChecked(s: NodeState, zone?: number): number {
  if (zone !== undefined) checkZone(s, zone);
  return s.pcp === null ? 0 : s.pcp.drainAllPages(zone ?? -1);
}

/** The zone's pagesets rows. */
export function pcpPagesets(s: NodeState, zone: number): PagesetRow[] {
  checkZone(s, zone);
  return pagesetRows(pcpOrThrow(s, "pcpPagesets"), zone);
}

/** vm.percpu_pagelist_high_fraction = v. */
export function setPercpuPagelistHighFraction(s: NodeState, v: number): void {
  const p = pcpOrThrow(s, "percpu_pagelist_high_fraction");
  checkHighFraction(v, "EINVAL");
  p.highFraction = v;
  p.updateHighAndBatch();
}

/** ZONE_RECLAIM_ACTIVE on or off (a no-op without pcp lists, whose only reader it is). */
export function setZoneReclaimActive(s: NodeState, zone: number, active: boolean): void {
  checkZone(s, zone);
  if (s.pcp instanceof PerCpuPages) s.pcp.reclaimActive[zone] = active ? 1 : 0;
}
