/** A deterministic Scheduler for tests: events run in (time, insertion) order when advanced. */
import type { Scheduler, TimerHandle } from "@mm/api";

interface Ev {
  at: number;
  seq: number;
  fn: (() => void) | null;
}

export class ManualScheduler implements Scheduler {
  private t = 0;
  private seq = 0;
  private q: Ev[] = [];

  now(): number {
    return this.t;
  }

  schedule(delayNs: number, fn: () => void): TimerHandle {
    const ev: Ev = { at: this.t + delayNs, seq: this.seq++, fn };
    this.q.push(ev);
    this.q.sort((a, b) => a.at - b.at || a.seq - b.seq);
    return {
      cancel: () => {
        ev.fn = null;
      },
    };
  }

  /** Events still pending (cancelled ones excluded). */
  get pending(): number {
    return this.q.filter((e) => e.fn !== null).length;
  }

  /** Time of the next live event, or -1. */
  nextAt(): number {
    const e = this.q.find((x) => x.fn !== null);
    return e === undefined ? -1 : e.at;
  }

  /** Run one event; false when none is left. */
  step(): boolean {
    for (;;) {
      const ev = this.q.shift();
      if (ev === undefined) return false;
      if (ev.fn === null) continue;
      this.t = ev.at;
      ev.fn();
      return true;
    }
  }

  /** Run every event due up to `t`, then set the clock to `t`. */
  runUntil(t: number, each?: () => void): void {
    while (this.q.length > 0 && this.q[0].at <= t) {
      if (this.step() && each !== undefined) each();
    }
    this.t = Math.max(this.t, t);
  }

  /** Run until nothing is pending (bounded). */
  runAll(each?: () => void, limit = 1_000_000): void {
    for (let i = 0; i < limit && this.step(); i++) if (each !== undefined) each();
  }
}
