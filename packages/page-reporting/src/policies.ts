/**
 * The named policy pairs of the seed-004 A/B: a capacity rule x a scatterlist mechanism.
 * The kernel is `fixed`; the rest are the patch, its review, and their cross products.
 */
import { MmError } from "@mm/api";
import type { CapacityRule, ScatterlistMechanism } from "./api.js";
import { fixedCapacity } from "./capacity/fixed.js";
import { freeLimitedCapacity } from "./capacity/free-limited.js";
import { freeLimitedPerOrderCapacity } from "./capacity/free-limited-per-order.js";
import { shiftCapacity } from "./capacity/shift.js";
import { reinitScatterlist } from "./sgl/reinit.js";
import { reserveScatterlist } from "./sgl/reserve.js";

/** A named pair; the factories make fresh instances (rules and mechanisms keep per-pass state). */
export interface ReportingPolicy {
  readonly name: string;
  readonly description: string;
  readonly capacityRule: () => CapacityRule;
  readonly mechanism: () => ScatterlistMechanism;
}

/** Every shipped pair, in table order. */
export const REPORTING_POLICIES: readonly ReportingPolicy[] = [
  {
    name: "fixed",
    description: "kernel: 32 entries at every order, full list",
    capacityRule: fixedCapacity,
    mechanism: reserveScatterlist,
  },
  {
    name: "pang",
    description: "seed-004 patch: free-limited capacity once per zone pass, shorter list re-initialised per order",
    capacityRule: freeLimitedCapacity,
    mechanism: reinitScatterlist,
  },
  {
    name: "pang-per-order",
    description: "Pang's rule recomputed at every order (answers 'it goes stale'), re-initialised list",
    capacityRule: freeLimitedPerOrderCapacity,
    mechanism: reinitScatterlist,
  },
  {
    name: "pang-reserve",
    description: "Pang's rule once per zone pass, Duyck's reserve at the head of the full list",
    capacityRule: freeLimitedCapacity,
    mechanism: reserveScatterlist,
  },
  {
    name: "shift",
    description: "Duyck: capacity (32 << min order) >> order, shorter list re-initialised per order",
    capacityRule: shiftCapacity,
    mechanism: reinitScatterlist,
  },
  {
    name: "shift-reserve",
    description: "Duyck's proposal: the shift with a reserve at the head of the full list",
    capacityRule: shiftCapacity,
    mechanism: reserveScatterlist,
  },
];

/** Look a policy up by name. @throws MmError EINVAL for an unknown name (listing the known ones). */
export function reportingPolicy(name: string): ReportingPolicy {
  for (const p of REPORTING_POLICIES) if (p.name === name) return p;
  throw new MmError("EINVAL", `unknown reporting policy "${name}" (known: ${REPORTING_POLICIES.map((p) => p.name).join(", ")})`);
}
