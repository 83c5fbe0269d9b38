/**
 * ___ratelimit() of lib/ratelimit.c on the simulated clock, in jiffies as the kernel counts them.
 */

/** A ratelimit_state's knobs. */
export interface RatelimitOptions {
  /** Window length in nanoseconds. 0 disables limiting. @defaultValue 10 s (warn_alloc since ~2017) */
  readonly intervalNs: number;
  /** Messages allowed per window. @defaultValue 1 */
  readonly burst: number;
}

/** warn_alloc's `DEFINE_RATELIMIT_STATE(nopage_rs, 10*HZ, 1)`. */
export const WARN_ALLOC_RATELIMIT: RatelimitOptions = { intervalNs: 10_000_000_000, burst: 1 };
/** The older warn_alloc limit: DEFAULT_RATELIMIT_INTERVAL (5 s), DEFAULT_RATELIMIT_BURST (10). */
export const DEFAULT_RATELIMIT: RatelimitOptions = { intervalNs: 5_000_000_000, burst: 10 };

/** struct ratelimit_state: begin/printed/missed, compared in jiffies at `hz`. */
export class RatelimitState {
  /** Jiffy of the window start; -1 means "not started" (the kernel's `!rs->begin`). */
  private begin = -1;
  private printed = 0;
  private missed = 0;
  private readonly intervalJiffies: number;

  constructor(
    private readonly opts: RatelimitOptions,
    private readonly hz: number,
    /** __func__ of the caller, printed in "%s: %d callbacks suppressed". */
    private readonly func: string,
  ) {
    this.intervalJiffies = Math.floor((opts.intervalNs * hz) / 1e9);
  }

  /**
   * __ratelimit(): true if the caller may print. When a new window opens after suppressed calls,
   * `log` receives "<func>: N callbacks suppressed" first, as printk_deferred does.
   */
  check(nowNs: number, log: (line: string) => void): boolean {
    if (this.opts.intervalNs === 0) return true;
    const jiffies = Math.floor((nowNs * this.hz) / 1e9);
    if (this.begin < 0) this.begin = jiffies;
    if (this.begin + this.intervalJiffies < jiffies) {
      if (this.missed !== 0) {
        log(`${this.func}: ${this.missed} callbacks suppressed`);
        this.missed = 0;
      }
      this.begin = jiffies;
      this.printed = 0;
    }
    if (this.opts.burst !== 0 && this.opts.burst > this.printed) {
      this.printed++;
      return true;
    }
    this.missed++;
    return false;
  }

  /** Calls suppressed in the current window (not yet reported). */
  get suppressed(): number {
    return this.missed;
  }
}
