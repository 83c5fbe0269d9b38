/** The exported invariant checker (tests of this and other packages run it after every step). */
import type { StackDepot } from "./depot.js";

/** Throws MmError("INVARIANT") if any structural invariant of the depot is broken. */
export function checkStackDepotInvariants(depot: StackDepot): void {
  depot.checkInvariants();
}
