import { TASK_IN_PAGE_OWNER, TASK_KSWAPD, TASK_KTHREAD } from "@mm/api";
import { describe, expect, it } from "vitest";
import { createTasks, RESERVED_PIDS, truncateComm, withFrames } from "@mm/sim";

describe("truncateComm", () => {
  it("keeps at most 15 bytes like strscpy into char[TASK_COMM_LEN]", () => {
    expect(truncateComm("kworker/u4:0")).toBe("kworker/u4:0");
    expect(truncateComm("0123456789abcde")).toBe("0123456789abcde");
    expect(truncateComm("0123456789abcdef")).toBe("0123456789abcde");
    expect(truncateComm("stress-ng-brk-worker")).toBe("stress-ng-brk-w");
    expect(truncateComm("ab\0cd")).toBe("ab");
    // 14 ASCII bytes + a 2-byte char would need 16: the char is dropped whole
    expect(truncateComm("abcdefghijklmné")).toBe("abcdefghijklmn");
    expect(truncateComm("abcdefghijklmé")).toBe("abcdefghijklmé");
  });
});

describe("Tasks", () => {
  it("starts with the idle task (pid 0, swapper/0, kthread) as current", () => {
    const t = createTasks();
    const idle = t.current();
    expect([idle.pid, idle.tgid, idle.comm, idle.index]).toEqual([0, 0, "swapper/0", 0]);
    expect(idle.flags & TASK_KTHREAD).toBe(TASK_KTHREAD);
    expect(idle.kthread).toBe(true);
    t.checkInvariants();
  });

  it("spawns tasks with cyclic pids, threads share the tgid, kthreads get TASK_KTHREAD", () => {
    const t = createTasks();
    const init = t.spawn({ comm: "init" });
    const kthreadd = t.spawn({ comm: "kthreadd", kthread: true });
    const kswapd = t.spawn({ comm: "kswapd0", kthread: true, flags: TASK_KSWAPD, parent: kthreadd });
    const thr = t.spawn({ comm: "worker-thread-name-long", threadOf: init });
    expect([init.pid, kthreadd.pid, kswapd.pid, thr.pid]).toEqual([1, 2, 3, 4]);
    expect(thr.tgid).toBe(1);
    expect(thr.comm).toBe("worker-thread-n");
    expect(kswapd.flags).toBe(TASK_KSWAPD | TASK_KTHREAD);
    expect(kswapd.ppid).toBe(2);
    expect(init.kthread).toBe(false);
    expect(t.byPid(3)).toBe(kswapd);
    expect(t.count).toBe(5);
    t.checkInvariants();
  });

  it("reuses pids only after wrapping at pid_max, from RESERVED_PIDS on", () => {
    const t = createTasks({ pidMax: 400 });
    const a = t.spawn({ comm: "a" });
    t.exit(a);
    const b = t.spawn({ comm: "b" });
    expect(b.pid).toBe(2); // cursor moves on, pid 1 not reused yet
    const many = [];
    for (let i = 0; i < 397; i++) many.push(t.spawn({ comm: `t${i}` }));
    expect(many[many.length - 1].pid).toBe(399);
    t.exit(many[10]); // pid 13 (< RESERVED_PIDS)
    t.exit(many[350]); // pid 353
    const c = t.spawn({ comm: "c" });
    expect(c.pid).toBe(353); // wraps to RESERVED_PIDS, skips taken ones; 13 is below the floor
    expect(RESERVED_PIDS).toBe(300);
    expect(() => t.spawn({ comm: "d" })).toThrow(expect.objectContaining({ code: "NOMEM" }));
    t.checkInvariants();
  });

  it("a leader's pid stays taken while its threads live", () => {
    const t = createTasks({ pidMax: 8 });
    const leader = t.spawn({ comm: "leader" }); // 1
    const th = t.spawn({ comm: "th", threadOf: leader }); // 2
    t.exit(leader);
    expect(t.byPid(1)).toBeUndefined();
    for (let i = 0; i < 5; i++) t.spawn({ comm: `x${i}` }); // 3..7
    expect(() => t.spawn({ comm: "y" })).toThrow(expect.objectContaining({ code: "NOMEM" })); // 1 still taken
    expect(() => t.spawn({ comm: "z", threadOf: leader })).toThrow(expect.objectContaining({ code: "BAD_STATE" }));
    t.exit(th);
    expect(t.spawn({ comm: "y" }).pid).toBe(1);
    t.checkInvariants();
  });

  it("runAs switches current and restores it even on throw; dead tasks cannot run", () => {
    const t = createTasks();
    const a = t.spawn({ comm: "a" });
    const b = t.spawn({ comm: "b" });
    const seen: number[] = [];
    t.runAs(a, () => {
      seen.push(t.current().pid);
      t.runAs(b, () => seen.push(t.current().pid));
      seen.push(t.current().pid);
    });
    expect(seen).toEqual([1, 2, 1]);
    expect(t.current()).toBe(t.idle);
    expect(() =>
      t.runAs(a, () => {
        throw new Error("x");
      }),
    ).toThrow("x");
    expect(t.current()).toBe(t.idle);
    t.exit(b);
    expect(() => t.runAs(b, () => 0)).toThrow(expect.objectContaining({ code: "BAD_STATE" }));
    expect(() => t.exit(b)).toThrow(expect.objectContaining({ code: "BAD_STATE" }));
    expect(() => t.exit(t.idle)).toThrow(expect.objectContaining({ code: "BAD_STATE" }));
    expect(b.alive).toBe(false);
    const other = createTasks();
    expect(() => t.setCurrent(other.idle)).toThrow(expect.objectContaining({ code: "EINVAL" }));
  });

  it("setComm truncates; flags are writable (guards)", () => {
    const t = createTasks();
    const a = t.spawn({ comm: "a" });
    t.setComm(a, "a-much-longer-name");
    expect(a.comm).toBe("a-much-longer-n");
    a.flags |= TASK_IN_PAGE_OWNER;
    expect(a.flags & TASK_IN_PAGE_OWNER).not.toBe(0);
    a.flags &= ~TASK_IN_PAGE_OWNER;
    expect(a.flags).toBe(0);
  });

  it("forEach visits live tasks in index order; slots keep per-task values", () => {
    const t = createTasks();
    const a = t.spawn({ comm: "a" });
    const b = t.spawn({ comm: "b" });
    const c = t.spawn({ comm: "c" });
    t.exit(b);
    const names: string[] = [];
    t.forEach((x) => names.push(x.comm));
    expect(names).toEqual(["swapper/0", "a", "c"]);
    let inits = 0;
    const slot = t.defineSlot((task) => ({ pid: task.pid, seq: 0, inits: ++inits }));
    slot.get(a).seq++;
    slot.get(a).seq++;
    expect(slot.get(a)).toEqual({ pid: 1, seq: 2, inits: 1 });
    expect(slot.peek(c)).toBeUndefined();
    slot.set(c, { pid: 99, seq: 5, inits: 0 });
    expect(slot.get(c).pid).toBe(99);
    expect(inits).toBe(1);
    const d = t.spawn({ comm: "d" }); // pid 2 is not reused (cursor), index is new
    expect(d.index).toBe(4);
    expect(slot.peek(d)).toBeUndefined();
  });

  it("rejects bad spawn options without changing the table", () => {
    const t = createTasks();
    t.spawn({ comm: "a" });
    expect(() => t.spawn({ comm: "x", pid: 1 })).toThrow(expect.objectContaining({ code: "EINVAL" }));
    expect(() => t.spawn({ comm: "x", pid: 40000 })).toThrow(expect.objectContaining({ code: "EINVAL" }));
    expect(() => t.spawn({ comm: "x", flags: -1 })).toThrow(expect.objectContaining({ code: "EINVAL" }));
    expect(() => t.spawn({ comm: "x", stackCapacity: 0 })).toThrow(expect.objectContaining({ code: "BAD_CONFIG" }));
    expect(() => createTasks({ pidMax: 1 })).toThrow(expect.objectContaining({ code: "BAD_CONFIG" }));
    expect(t.count).toBe(2);
    expect(t.spawn({ comm: "b" }).pid).toBe(2);
    const forced = t.spawn({ comm: "replay", pid: 5640 });
    expect(forced.pid).toBe(5640);
    expect(t.spawn({ comm: "next" }).pid).toBe(5641);
    t.checkInvariants();
  });
});

describe("shadow stack", () => {
  it("push/pop are LIFO and `stack` is innermost-first", () => {
    const t = createTasks();
    const a = t.spawn({ comm: "a" });
    a.push(10); // outermost
    a.push(20);
    a.push(30); // innermost
    expect(a.depth).toBe(3);
    expect(Array.from(a.stack.subarray(0, a.depth))).toEqual([30, 20, 10]);
    expect([a.frameAt(0), a.frameAt(2), a.frameAt(3)]).toEqual([30, 10, 0]);
    expect(a.pop()).toBe(30);
    expect(Array.from(a.stack.subarray(0, a.depth))).toEqual([20, 10]);
    a.pushTrace([3, 2, 1]); // innermost first: 1 pushed first, 3 ends innermost
    expect(Array.from(a.stack.subarray(0, a.depth))).toEqual([3, 2, 1, 20, 10]);
    a.unwindTo(1);
    expect(Array.from(a.stack.subarray(0, a.depth))).toEqual([10]);
  });

  it("withFrames pops on return and on throw", () => {
    const t = createTasks();
    const a = t.spawn({ comm: "a" });
    a.push(1);
    const inside = withFrames(a, [4, 3, 2], () => Array.from(a.stack.subarray(0, a.depth)));
    expect(inside).toEqual([4, 3, 2, 1]);
    expect(a.depth).toBe(1);
    expect(() =>
      withFrames(a, [9, 8], () => {
        a.push(7);
        throw new Error("oops");
      }),
    ).toThrow("oops");
    expect(a.depth).toBe(1);
    expect(a.stack[0]).toBe(1);
    expect(() => withFrames(a, [5], () => (a.pop(), a.pop()))).toThrow(expect.objectContaining({ code: "BAD_STATE" }));
  });

  it("overflow, underflow and bad ids raise MmError and leave the stack unchanged", () => {
    const t = createTasks({ stackCapacity: 4 });
    const a = t.spawn({ comm: "a" });
    a.pushTrace([3, 2, 1]);
    expect(() => a.pushTrace([5, 4])).toThrow(expect.objectContaining({ code: "BAD_STATE" }));
    expect(() => a.pushTrace([0])).toThrow(expect.objectContaining({ code: "EINVAL" }));
    expect(Array.from(a.stack.subarray(0, a.depth))).toEqual([3, 2, 1]);
    a.push(4);
    expect(() => a.push(5)).toThrow(expect.objectContaining({ code: "BAD_STATE" }));
    for (const bad of [0, -1, 1.5, 2 ** 32]) expect(() => a.push(bad)).toThrow(expect.objectContaining({ code: "EINVAL" }));
    expect(a.depth).toBe(4);
    a.unwindTo(0);
    expect(() => a.pop()).toThrow(expect.objectContaining({ code: "BAD_STATE" }));
    expect(() => a.unwindTo(1)).toThrow(expect.objectContaining({ code: "EINVAL" }));
    expect(a.depth).toBe(0);
  });

  it("exit empties the stack", () => {
    const t = createTasks();
    const a = t.spawn({ comm: "a" });
    a.pushTrace([1, 2]);
    t.exit(a);
    expect(a.depth).toBe(0);
    t.checkInvariants();
  });
});
