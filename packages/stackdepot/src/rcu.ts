/** RCU grace-period models for the 6.8+ freelist (get_state_synchronize_rcu / poll_state_synchronize_rcu). */
import type { RcuModel } from "./api.js";

/** Every grace period has already ended: freed records are reusable at once. */
export const immediateRcu: RcuModel = {
  getState: () => 0,
  pollState: () => true,
};

/**
 * Grace periods end only when the test or simulation says so (`synchronize()`), so the
 * "freed but not yet reusable" window of the kernel can be exercised deterministically.
 */
export class ManualRcu implements RcuModel {
  /** Number of completed grace periods. */
  completed = 0;

  getState(): number {
    return this.completed + 1;
  }

  pollState(cookie: number): boolean {
    return this.completed >= cookie;
  }

  /** synchronize_rcu(): end one grace period. */
  synchronize(): void {
    this.completed++;
  }
}
