/**
 * Tasks (a slice of task_struct: pid, tgid, comm, flags) with a shadow call stack each, and
 * `current`. Stands in for kernel/fork.c's pid allocation, set_task_comm() and `current`.
 */
import { MmError, TASK_KTHREAD, type Clock, type Task, type TaskContext } from "@mm/api";

/** TASK_COMM_LEN: comm is a char[16], so at most 15 bytes plus the NUL. */
export const TASK_COMM_LEN = 16;
/** PID_MAX_DEFAULT (include/linux/threads.h): pids wrap below this. */
export const PID_MAX_DEFAULT = 0x8000;
/** RESERVED_PIDS: after the first wrap, pids restart here (kernel/pid.c). */
export const RESERVED_PIDS = 300;
/** task_struct.__state values (include/linux/sched.h), for reports such as kmallocwd's. */
export const TASK_RUNNING = 0x0000;
export const TASK_INTERRUPTIBLE = 0x0001;
export const TASK_UNINTERRUPTIBLE = 0x0002;
/** Shadow stack capacity per task unless spawn() says otherwise. */
export const DEFAULT_STACK_CAPACITY = 64;

/** UTF-8 byte length of one code point. */
function utf8Len(cp: number): number {
  return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

/**
 * What `strscpy(tsk->comm, name, TASK_COMM_LEN)` keeps: the text up to the first NUL, cut to 15
 * bytes of UTF-8. A multi-byte character that would straddle byte 15 is dropped whole (the kernel
 * would keep its leading bytes, which a JS string cannot hold).
 */
export function truncateComm(name: string): string {
  const nul = name.indexOf("\0");
  const s = nul >= 0 ? name.slice(0, nul) : name;
  let bytes = 0;
  let end = 0;
  for (const ch of s) {
    const len = utf8Len(ch.codePointAt(0) as number);
    if (bytes + len > TASK_COMM_LEN - 1) break;
    bytes += len;
    end += ch.length;
  }
  return s.slice(0, end);
}

/**
 * One simulated task. Implements `Task` from @mm/api.
 *
 * The shadow stack is stored outermost-first internally (push/pop at the end, O(1), no
 * allocation) and exposed through `stack` innermost-first, as @mm/api's Task requires:
 * `stack[0]` is the innermost frame (the function that called into mm), `stack[depth - 1]` the
 * outermost. `stack` is rebuilt lazily after a push/pop, so always re-read `stack` and `depth`
 * rather than keeping the array across pushes.
 */
export class SimTask implements Task {
  /** TASK_* bits (writable: guards set and clear their bit). */
  flags: number;
  /** false once exit() ran. */
  alive = true;
  /** Scheduler state (TASK_RUNNING / TASK_INTERRUPTIBLE / TASK_UNINTERRUPTIBLE); set by the model. */
  state = TASK_RUNNING;
  /** Times this task was switched in as `current` from another task (nvcsw + nivcsw analogue). */
  switches = 0;
  /** The comm (<= 15 bytes). */
  private name: string;
  /** Frames outermost-first: [0] = outermost, [d - 1] = innermost. */
  private readonly frames: Uint32Array;
  /** Innermost-first copy handed out as `stack`. */
  private readonly view: Uint32Array;
  /** Number of valid frames. */
  private d = 0;
  /** view is stale. */
  private dirty = false;

  /** @internal created by Tasks.spawn(). */
  constructor(
    /** Dense index in spawn order, 0 = the idle task; never reused (see `Tasks.defineSlot`). */
    readonly index: number,
    readonly pid: number,
    readonly tgid: number,
    /** Parent's pid (0 for the idle task and for what it spawns). */
    readonly ppid: number,
    /** Clock value at spawn (ns), if the table has a clock; else 0. */
    readonly startNs: number,
    comm: string,
    flags: number,
    capacity: number,
  ) {
    this.name = comm;
    this.flags = flags;
    this.frames = new Uint32Array(capacity);
    this.view = new Uint32Array(capacity);
  }

  /** Task name, at most TASK_COMM_LEN - 1 bytes. */
  get comm(): string {
    return this.name;
  }

  /** Kernel thread (PF_KTHREAD)? */
  get kthread(): boolean {
    return (this.flags & TASK_KTHREAD) !== 0;
  }

  /** Shadow stack, innermost first; `depth` entries valid. */
  get stack(): Uint32Array {
    if (this.dirty) {
      const d = this.d;
      const f = this.frames;
      const v = this.view;
      for (let i = 0; i < d; i++) v[i] = f[d - 1 - i];
      this.dirty = false;
    }
    return this.view;
  }

  /** Number of valid frames in `stack`. */
  get depth(): number {
    return this.d;
  }

  /** Maximum frames the shadow stack holds. */
  get capacity(): number {
    return this.frames.length;
  }

  /** The frame at `i` counted from the innermost (0) without rebuilding `stack`; 0 if i >= depth. */
  frameAt(i: number): number {
    return i >= 0 && i < this.d ? this.frames[this.d - 1 - i] : 0;
  }

  /**
   * Enter a function: push a frame id as the new innermost frame.
   * @throws MmError EINVAL for an id that is not a u32 >= 1; BAD_STATE on overflow.
   */
  push(frameId: number): void {
    if (frameId >>> 0 !== frameId || frameId === 0) {
      throw new MmError("EINVAL", `frame id must be a u32 >= 1, got ${frameId}`);
    }
    const d = this.d;
    if (d === this.frames.length) {
      throw new MmError("BAD_STATE", `shadow stack overflow in ${this.name}(${this.pid}) at ${d} frames`);
    }
    this.frames[d] = frameId;
    this.d = d + 1;
    this.dirty = true;
  }

  /**
   * Push several frames given innermost first (the order a kernel stack is printed, and the order
   * of `stack`): `frames[count - 1]` is pushed first, `frames[0]` ends up innermost. All or nothing.
   */
  pushTrace(frames: ArrayLike<number>, count = frames.length): void {
    const d = this.d;
    if (count < 0 || count > frames.length) throw new MmError("EINVAL", `bad frame count ${count}`);
    if (d + count > this.frames.length) {
      throw new MmError("BAD_STATE", `shadow stack overflow in ${this.name}(${this.pid}): ${d} + ${count} frames`);
    }
    for (let i = 0; i < count; i++) {
      const id = frames[count - 1 - i];
      if (id >>> 0 !== id || id === 0) throw new MmError("EINVAL", `frame id must be a u32 >= 1, got ${id}`);
    }
    for (let i = 0; i < count; i++) this.frames[d + i] = frames[count - 1 - i];
    this.d = d + count;
    this.dirty = true;
  }

  /**
   * Leave a function: pop the innermost frame.
   * @returns its id. @throws MmError BAD_STATE when the stack is empty.
   */
  pop(): number {
    const d = this.d;
    if (d === 0) throw new MmError("BAD_STATE", `shadow stack underflow in ${this.name}(${this.pid})`);
    this.d = d - 1;
    this.dirty = true;
    return this.frames[d - 1];
  }

  /** Pop back to `depth` frames (unwinding after an exception). @throws MmError EINVAL if deeper. */
  unwindTo(depth: number): void {
    if (!Number.isInteger(depth) || depth < 0 || depth > this.d) {
      throw new MmError("EINVAL", `cannot unwind ${this.name}(${this.pid}) from ${this.d} to ${depth} frames`);
    }
    if (depth !== this.d) {
      this.d = depth;
      this.dirty = true;
    }
  }

  /** @internal */
  setName(comm: string): void {
    this.name = comm;
  }
}

/** Options of `Tasks.spawn`. */
export interface SpawnOptions {
  /** Name; truncated like set_task_comm() (15 bytes). */
  comm: string;
  /** A kernel thread: sets TASK_KTHREAD. @defaultValue false */
  kthread?: boolean;
  /** Extra TASK_* bits. @defaultValue 0 */
  flags?: number;
  /** Create a thread in this task's thread group (same tgid, CLONE_THREAD). @defaultValue none */
  threadOf?: Task;
  /** The parent, recorded as ppid. @defaultValue the current task */
  parent?: Task;
  /** Force this pid (replaying a capture); it must be free and in [1, pidMax). @defaultValue next cyclic pid */
  pid?: number;
  /** Shadow stack capacity in frames. @defaultValue DEFAULT_STACK_CAPACITY (64) */
  stackCapacity?: number;
}

/** Options of `createTasks`. */
export interface TasksOptions {
  /** pid_max: pids are allocated cyclically below it. @defaultValue PID_MAX_DEFAULT (32768) */
  pidMax?: number;
  /** comm of the idle task, pid 0. @defaultValue "swapper/0" */
  idleComm?: string;
  /** Default shadow stack capacity. @defaultValue DEFAULT_STACK_CAPACITY (64) */
  stackCapacity?: number;
  /** Clock for `task.startNs`. @defaultValue none (startNs = 0) */
  clock?: Clock;
}

/**
 * Per-task state owned by another package, one value per task, created lazily by `init`.
 * Backed by an array indexed by `task.index` (never reused, so values never leak across tasks).
 */
export interface TaskSlot<T> {
  /** The value for `task`, creating it with `init(task)` on first use. */
  get(task: SimTask): T;
  /** The value if already created, else undefined. */
  peek(task: SimTask): T | undefined;
  /** Replace the value. */
  set(task: SimTask, value: T): void;
}

/**
 * The task table and `current`. Implements `TaskContext` from @mm/api. Index 0 is the idle task
 * (pid 0, kthread), which is current until something else is.
 */
export class Tasks implements TaskContext {
  /** All tasks ever spawned, by index (dead ones stay, with alive = false). */
  private readonly list: SimTask[] = [];
  /** pid -> live task. */
  private readonly byPidMap = new Map<number, SimTask>();
  /** tgid -> live members of the group; a leader's pid stays taken while its threads live. */
  private readonly groupLive = new Map<number, number>();
  /** pid numbers that cannot be handed out (live pids, and tgids of live groups). */
  private readonly taken = new Set<number>();
  /** The idr cursor: the last pid handed out. */
  private lastPid = 0;
  /** `current`. */
  private cur: SimTask;
  /** pid_max. */
  readonly pidMax: number;
  /** Default shadow stack size. */
  private readonly stackCapacity: number;
  /** The idle task (pid 0). */
  readonly idle: SimTask;
  /** Source of spawn times. */
  private readonly clock: Clock | undefined;

  constructor(options: TasksOptions = {}) {
    const pidMax = options.pidMax ?? PID_MAX_DEFAULT;
    if (!Number.isInteger(pidMax) || pidMax < 2 || pidMax > 1 << 22) {
      throw new MmError("BAD_CONFIG", `pidMax must be an integer in [2, 4194304], got ${pidMax}`);
    }
    this.pidMax = pidMax;
    const cap = options.stackCapacity ?? DEFAULT_STACK_CAPACITY;
    this.checkCapacity(cap);
    this.stackCapacity = cap;
    this.clock = options.clock;
    this.idle = new SimTask(0, 0, 0, 0, 0, truncateComm(options.idleComm ?? "swapper/0"), TASK_KTHREAD, cap);
    this.list.push(this.idle);
    this.byPidMap.set(0, this.idle);
    this.taken.add(0);
    this.groupLive.set(0, 1);
    this.cur = this.idle;
  }

  /** Tasks ever spawned including the idle task and dead ones; indices are 0..count-1. */
  get count(): number {
    return this.list.length;
  }

  /** Live tasks. */
  get liveCount(): number {
    return this.byPidMap.size;
  }

  /** The task with dense index `i` (alive or not). */
  at(i: number): SimTask {
    const t = this.list[i];
    if (t === undefined) throw new MmError("EINVAL", `no task with index ${i}`);
    return t;
  }

  /** The live task with this pid, or undefined. */
  byPid(pid: number): SimTask | undefined {
    return this.byPidMap.get(pid);
  }

  /** Call `fn` for every live task in index (spawn) order: the watchdog's for_each_process_thread. */
  forEach(fn: (task: SimTask) => void): void {
    const list = this.list;
    for (let i = 0; i < list.length; i++) if (list[i].alive) fn(list[i]);
  }

  /** `current`. */
  current(): SimTask {
    return this.cur;
  }

  /** Switch `current` (a context switch). @throws MmError BAD_STATE for a dead task. */
  setCurrent(task: SimTask): void {
    this.checkOwn(task);
    if (!task.alive) throw new MmError("BAD_STATE", `task ${task.comm}(${task.pid}) has exited`);
    if (task !== this.cur) task.switches++;
    this.cur = task;
  }

  /** Run `fn` with `task` as current, restoring the previous current afterwards, even on throw. */
  runAs<R>(task: SimTask, fn: () => R): R {
    const prev = this.cur;
    this.setCurrent(task);
    try {
      return fn();
    } finally {
      if (prev !== this.cur) prev.switches++;
      this.cur = prev;
    }
  }

  /**
   * Create a task (fork/clone, or kthread_create when `kthread`).
   * @throws MmError EINVAL for bad options, NOMEM when every pid is taken.
   */
  spawn(options: SpawnOptions): SimTask {
    if (typeof options.comm !== "string") throw new MmError("EINVAL", "spawn needs a comm");
    const extra = options.flags ?? 0;
    if (extra >>> 0 !== extra) throw new MmError("EINVAL", `flags must be a u32, got ${extra}`);
    const cap = options.stackCapacity ?? this.stackCapacity;
    this.checkCapacity(cap);
    const parent = options.parent ?? this.cur;
    this.checkOwn(parent as SimTask);
    let leader: SimTask | undefined;
    if (options.threadOf !== undefined) {
      leader = options.threadOf as SimTask;
      this.checkOwn(leader);
      if (!leader.alive || !this.groupLive.has(leader.tgid)) {
        throw new MmError("BAD_STATE", `thread group ${leader.tgid} has exited`);
      }
    }
    let pid: number;
    if (options.pid !== undefined) {
      pid = options.pid;
      if (!Number.isInteger(pid) || pid < 1 || pid >= this.pidMax) {
        throw new MmError("EINVAL", `pid ${pid} out of range [1, ${this.pidMax})`);
      }
      if (this.taken.has(pid)) throw new MmError("EINVAL", `pid ${pid} is in use`);
    } else {
      pid = this.allocPid();
    }
    const tgid = leader !== undefined ? leader.tgid : pid;
    const flags = (extra | (options.kthread === true ? TASK_KTHREAD : 0)) >>> 0;
    const now = this.clock !== undefined ? this.clock.now() : 0;
    const task = new SimTask(this.list.length, pid, tgid, parent.pid, now, truncateComm(options.comm), flags, cap);
    this.list.push(task);
    this.byPidMap.set(pid, task);
    this.taken.add(pid);
    this.groupLive.set(tgid, (this.groupLive.get(tgid) ?? 0) + 1);
    if (options.pid === undefined || pid > this.lastPid) this.lastPid = pid;
    return task;
  }

  /**
   * do_exit(): the task stops existing; its pid becomes free (a thread-group leader's pid only
   * when the whole group has exited). Its shadow stack is emptied. Slots keep their values.
   * @throws MmError BAD_STATE for the idle task or a task that already exited.
   */
  exit(task: SimTask): void {
    this.checkOwn(task);
    if (task.index === 0) throw new MmError("BAD_STATE", "the idle task cannot exit");
    if (!task.alive) throw new MmError("BAD_STATE", `task ${task.comm}(${task.pid}) already exited`);
    task.alive = false;
    task.unwindTo(0);
    this.byPidMap.delete(task.pid);
    const left = (this.groupLive.get(task.tgid) as number) - 1;
    if (left === 0) {
      this.groupLive.delete(task.tgid);
      this.taken.delete(task.tgid);
    } else {
      this.groupLive.set(task.tgid, left);
    }
    // A leader's pid is its tgid: it stays taken until the last thread is gone (above).
    if (task.pid !== task.tgid) this.taken.delete(task.pid);
  }

  /** set_task_comm(): rename, truncating to 15 bytes. */
  setComm(task: SimTask, comm: string): void {
    this.checkOwn(task);
    if (typeof comm !== "string") throw new MmError("EINVAL", "comm must be a string");
    task.setName(truncateComm(comm));
  }

  /** A per-task value owned by another package (see TaskSlot). */
  defineSlot<T>(init: (task: SimTask) => T): TaskSlot<T> {
    const values: (T | undefined)[] = [];
    const has: boolean[] = [];
    const own = (task: SimTask): number => {
      this.checkOwn(task);
      return task.index;
    };
    return {
      get: (task) => {
        const i = own(task);
        if (has[i] !== true) {
          values[i] = init(task);
          has[i] = true;
        }
        return values[i] as T;
      },
      peek: (task) => values[own(task)],
      set: (task, value) => {
        const i = own(task);
        values[i] = value;
        has[i] = true;
      },
    };
  }

  /**
   * Indices dense and in order, pid map = live tasks, current alive, thread groups consistent,
   * stack depths within capacity. @throws MmError INVARIANT
   */
  checkInvariants(): void {
    const fail = (msg: string): never => {
      throw new MmError("INVARIANT", `tasks: ${msg}`);
    };
    let live = 0;
    const groups = new Map<number, number>();
    for (let i = 0; i < this.list.length; i++) {
      const t = this.list[i];
      if (t.index !== i) fail(`task at ${i} has index ${t.index}`);
      if (t.depth < 0 || t.depth > t.capacity) fail(`${t.comm}(${t.pid}) depth ${t.depth} > ${t.capacity}`);
      if (Buffer.byteLength(t.comm, "utf8") > TASK_COMM_LEN - 1) fail(`comm ${t.comm} longer than 15 bytes`);
      if (!t.alive) {
        if (t.depth !== 0) fail(`dead ${t.comm}(${t.pid}) has frames`);
        continue;
      }
      live++;
      if (this.byPidMap.get(t.pid) !== t) fail(`pid ${t.pid} does not map to ${t.comm}`);
      if (!this.taken.has(t.pid)) fail(`live pid ${t.pid} not marked taken`);
      groups.set(t.tgid, (groups.get(t.tgid) ?? 0) + 1);
    }
    if (live !== this.byPidMap.size) fail(`${live} live tasks but ${this.byPidMap.size} pids`);
    if (groups.size !== this.groupLive.size) fail(`group count ${groups.size} != ${this.groupLive.size}`);
    for (const [tgid, n] of groups) {
      if (this.groupLive.get(tgid) !== n) fail(`group ${tgid} has ${n} live members, recorded ${this.groupLive.get(tgid)}`);
      if (!this.taken.has(tgid)) fail(`tgid ${tgid} of a live group not taken`);
    }
  }

  /** alloc_pid(): idr_alloc_cyclic from last+1, wrapping to RESERVED_PIDS. */
  private allocPid(): number {
    const max = this.pidMax;
    const min = this.lastPid >= RESERVED_PIDS ? RESERVED_PIDS : 1;
    let pid = this.lastPid + 1;
    for (let tries = 0; tries < max; tries++) {
      if (pid >= max) pid = min;
      if (!this.taken.has(pid)) return pid;
      pid++;
    }
    throw new MmError("NOMEM", `no free pid below pid_max ${max}`);
  }

  private checkCapacity(cap: number): void {
    if (!Number.isInteger(cap) || cap < 1 || cap > 1 << 16) {
      throw new MmError("BAD_CONFIG", `stack capacity must be in [1, 65536], got ${cap}`);
    }
  }

  private checkOwn(task: SimTask): void {
    if (!(task instanceof SimTask) || this.list[task.index] !== task) {
      throw new MmError("EINVAL", "task does not belong to this task table");
    }
  }
}

/** A task table with only the idle task (pid 0, "swapper/0") as current. */
export function createTasks(options: TasksOptions = {}): Tasks {
  return new Tasks(options);
}
