import { isMmError } from "@mm/api";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createEventQueue, EventQueue } from "@mm/sim";

describe("EventQueue", () => {
  it("runs events in time order and moves the clock to each event", () => {
    const q = createEventQueue();
    const log: string[] = [];
    q.schedule(30, () => log.push(`c@${q.now()}`));
    q.schedule(10, () => log.push(`a@${q.now()}`));
    q.schedule(20, () => log.push(`b@${q.now()}`));
    expect(q.pending).toBe(3);
    expect(q.nextTime()).toBe(10);
    expect(q.runAll()).toBe(3);
    expect(log).toEqual(["a@10", "b@20", "c@30"]);
    expect(q.now()).toBe(30);
    q.checkInvariants();
  });

  it("breaks ties by insertion order, including events scheduled while running", () => {
    const q = createEventQueue();
    const log: number[] = [];
    for (let i = 0; i < 10; i++) q.schedule(5, () => log.push(i));
    q.schedule(5, () => q.schedule(0, () => log.push(100)));
    q.schedule(5, () => log.push(10));
    q.runAll();
    expect(log).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 100]);
  });

  it("cancel removes a pending event, is idempotent, and is a no-op after it ran", () => {
    const q = createEventQueue();
    const log: string[] = [];
    const a = q.schedule(10, () => log.push("a"));
    const b = q.schedule(20, () => log.push("b"));
    a.cancel();
    a.cancel();
    expect(q.pending).toBe(1);
    q.checkInvariants();
    q.runAll();
    b.cancel();
    expect(log).toEqual(["b"]);
    q.checkInvariants();
  });

  it("a stale token cannot cancel the event that reused its slot", () => {
    const q = createEventQueue();
    const log: string[] = [];
    const t1 = q.scheduleCall(1, () => log.push("first"), 0);
    q.runAll();
    const t2 = q.scheduleCall(1, () => log.push("second"), 0);
    expect(t2 % (1 << 26)).toBe(t1 % (1 << 26)); // same slot, new generation
    expect(q.cancel(t1)).toBe(false);
    expect(q.isPending(t2)).toBe(true);
    q.runAll();
    expect(log).toEqual(["first", "second"]);
  });

  it("scheduleCall hands its numeric argument to the callback", () => {
    const q = createEventQueue();
    const seen: number[] = [];
    const fn = (x: number): void => void seen.push(x);
    q.scheduleCall(2, fn, 7);
    q.scheduleCall(1, fn, 3.5);
    q.runAll();
    expect(seen).toEqual([3.5, 7]);
  });

  it("runUntil runs due events only and then sets the clock; advance is relative", () => {
    const q = createEventQueue(100);
    const log: number[] = [];
    for (const d of [5, 10, 15]) q.schedule(d, () => log.push(q.now()));
    expect(q.runUntil(110)).toBe(2);
    expect(q.now()).toBe(110);
    expect(log).toEqual([105, 110]);
    expect(q.advance(4)).toBe(0);
    expect(q.now()).toBe(114);
    expect(q.advance(1)).toBe(1);
    expect(log).toEqual([105, 110, 115]);
    q.runUntil(50); // never backwards
    expect(q.now()).toBe(115);
  });

  it("runNext returns false on an empty queue and runAll stops at its limit", () => {
    const q = createEventQueue();
    expect(q.runNext()).toBe(false);
    const tick = (): void => void q.schedule(1, tick);
    q.schedule(1, tick);
    expect(q.runAll(1000)).toBe(1000);
    expect(q.pending).toBe(1);
    expect(q.now()).toBe(1000);
  });

  it("nested advance from inside a callback keeps the clock monotonic", () => {
    const q = createEventQueue();
    const times: number[] = [];
    q.schedule(10, () => {
      times.push(q.now());
      q.advance(100); // a task "sleeping" in the slow path lets the watchdog timer fire
      times.push(q.now());
    });
    q.schedule(50, () => times.push(q.now()));
    q.schedule(200, () => times.push(q.now()));
    q.runUntil(60);
    expect(times).toEqual([10, 50, 110]);
    expect(q.now()).toBe(110);
    q.runAll();
    expect(times).toEqual([10, 50, 110, 200]);
    q.checkInvariants();
  });

  it("rejects bad times with EINVAL and leaves the queue unchanged", () => {
    const q = createEventQueue(10);
    q.schedule(5, () => undefined);
    for (const bad of [-1, 1.5, NaN, Infinity, 2 ** 60]) {
      expect(() => q.schedule(bad, () => undefined)).toThrow(expect.objectContaining({ code: "EINVAL" }));
    }
    expect(() => q.scheduleAt(9, () => undefined)).toThrow(expect.objectContaining({ code: "EINVAL" }));
    expect(() => q.advance(-3)).toThrow(expect.objectContaining({ code: "EINVAL" }));
    expect(() => new EventQueue(-1)).toThrow(expect.objectContaining({ code: "EINVAL" }));
    expect(q.pending).toBe(1);
    expect(q.now()).toBe(10);
    q.checkInvariants();
  });

  it("an exception in a callback leaves the queue consistent", () => {
    const q = createEventQueue();
    q.schedule(1, () => {
      throw new Error("boom");
    });
    q.schedule(2, () => undefined);
    expect(() => q.runAll()).toThrow("boom");
    expect(q.pending).toBe(1);
    q.checkInvariants();
  });

  it("matches a sorted-list oracle under random schedule/cancel/run (property)", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({ op: fc.constant("s" as const), d: fc.integer({ min: 0, max: 50 }) }),
            fc.record({ op: fc.constant("c" as const), k: fc.nat() }),
            fc.record({ op: fc.constant("r" as const), d: fc.integer({ min: 0, max: 30 }) }),
          ),
          { maxLength: 200 },
        ),
        (ops) => {
          const q = createEventQueue();
          const log: number[] = [];
          const oracleLog: number[] = [];
          // oracle: list of {t, id} pending, run in (t, id) order
          let oracle: { t: number; id: number }[] = [];
          let now = 0;
          const tokens: { token: number; id: number }[] = [];
          let id = 0;
          for (const o of ops) {
            if (o.op === "s") {
              const my = id++;
              tokens.push({ token: q.scheduleCall(o.d, (x) => void log.push(x), my), id: my });
              oracle.push({ t: now + o.d, id: my });
            } else if (o.op === "c") {
              if (tokens.length === 0) continue;
              const { token, id: cid } = tokens[o.k % tokens.length];
              const was = oracle.some((e) => e.id === cid);
              expect(q.cancel(token)).toBe(was);
              oracle = oracle.filter((e) => e.id !== cid);
            } else {
              const target = now + o.d;
              q.runUntil(target);
              const due = oracle.filter((e) => e.t <= target).sort((a, b) => a.t - b.t || a.id - b.id);
              for (const e of due) oracleLog.push(e.id);
              oracle = oracle.filter((e) => e.t > target);
              now = target;
            }
            q.checkInvariants();
            expect(q.pending).toBe(oracle.length);
            expect(q.now()).toBe(now);
          }
          expect(log).toEqual(oracleLog);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("grows past its initial capacity", () => {
    const q = createEventQueue();
    const out: number[] = [];
    for (let i = 0; i < 5000; i++) q.scheduleCall((i * 7919) % 1000, (x) => void out.push(x), i);
    q.checkInvariants();
    q.runAll();
    const expected = Array.from({ length: 5000 }, (_, i) => i).sort(
      (a, b) => ((a * 7919) % 1000) - ((b * 7919) % 1000) || a - b,
    );
    expect(out).toEqual(expected);
  });

  it("isMmError recognises queue errors", () => {
    const q = createEventQueue();
    try {
      q.schedule(-5, () => undefined);
    } catch (e) {
      expect(isMmError(e, "EINVAL")).toBe(true);
    }
    expect.assertions(1);
  });
});
