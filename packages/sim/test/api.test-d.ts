// Type tests: the sim's classes satisfy the @mm/api contracts (checked by `tsc`, i.e. `pnpm typecheck`).
import type { Clock, Scheduler, SymbolTable, Task, TaskContext, TimerHandle } from "@mm/api";
import { expectTypeOf } from "vitest";
import type { DelayedWork, EventQueue, Prng, Sim, SimTask, Symbols, Tasks, WorkloadOptions } from "@mm/sim";

expectTypeOf<Sim>().toExtend<Scheduler>();
expectTypeOf<Sim>().toExtend<TaskContext>();
expectTypeOf<Sim>().toExtend<Clock>();
expectTypeOf<EventQueue>().toExtend<Scheduler>();
expectTypeOf<Tasks>().toExtend<TaskContext>();
expectTypeOf<SimTask>().toExtend<Task>();
expectTypeOf<Symbols>().toExtend<SymbolTable>();
expectTypeOf<ReturnType<Sim["schedule"]>>().toEqualTypeOf<TimerHandle>();
expectTypeOf<ReturnType<Sim["current"]>>().toEqualTypeOf<SimTask>();
expectTypeOf<DelayedWork["schedule"]>().returns.toEqualTypeOf<boolean>();
expectTypeOf<Prng["nextU32"]>().returns.toEqualTypeOf<number>();
// exactOptionalPropertyTypes: optional knobs do not accept an explicit undefined
// @ts-expect-error maxArrivals?: number does not take undefined
const bad: Pick<WorkloadOptions, "maxArrivals"> = { maxArrivals: undefined };
void bad;
