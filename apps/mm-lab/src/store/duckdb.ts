/**
 * The results store: a DuckDB database file (`@duckdb/node-api`, prebuilt binaries from npm).
 * Table `results`: one row per (cell, policy, seed) — task, cell, policy, seed, then every parameter
 * and every metric as a column (numbers DOUBLE, booleans BOOLEAN, enums/lists/text VARCHAR).
 * Table `sweep`: one row naming the plan (hash, experiment, spec JSON, package version, git
 * revision, shard, tasks in the plan), so merge and resume can refuse a store of another plan.
 * Table `runs`: one row per invocation that wrote runs (the first, then each `--resume`; a merge
 * keeps every shard's) with the plan (config) hash, package version, git revision, shard and how
 * many runs it stored — a resumed store may mix revisions, and this says so.
 */
import { existsSync } from "node:fs";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { MmError } from "@mm/api";
import type { AnyExperiment, MetricValue } from "../experiment.js";
import type { ParamSpec, ParamValue } from "../params.js";
import type { Plan, Shard } from "../sweep/plan.js";
import { normalizeMetric, type SweepRow } from "./rows.js";

export interface SweepMeta {
  readonly hash: string;
  readonly experiment: string;
  readonly spec: string;
  readonly version: string;
  readonly revision: string | null;
  readonly shardIndex: number;
  readonly shardCount: number;
  readonly total: number;
}

const q = (name: string): string => `"${name.replace(/"/g, '""')}"`;

function paramType(s: ParamSpec): string {
  switch (s.kind) {
    case "int":
    case "float":
    case "duration":
    case "size":
      return "DOUBLE";
    case "bool":
      return "BOOLEAN";
    default:
      return "VARCHAR";
  }
}

function paramToDb(s: ParamSpec, v: ParamValue | undefined): string | number | boolean | null {
  if (v === undefined || v === null) return null;
  if (s.kind === "list") return (v as readonly (string | number)[]).join(",");
  return v as string | number | boolean;
}

function paramFromDb(s: ParamSpec, v: unknown): ParamValue {
  if (v === null || v === undefined) return null;
  if (s.kind === "list") {
    const items = (typeof v === "string" ? v : JSON.stringify(v)).split(",");
    return s.of === "enum" ? items : items.map(Number);
  }
  return v as ParamValue;
}

/** One invocation that wrote into a store (a row of table `runs`). */
export interface SessionRecord {
  readonly session: number;
  readonly hash: string;
  readonly version: string;
  readonly revision: string | null;
  readonly shardIndex: number;
  readonly shardCount: number;
  readonly runs: number;
}

const RUNS_TABLE =
  "CREATE TABLE IF NOT EXISTS runs (session INTEGER, hash VARCHAR, version VARCHAR, revision VARCHAR, shard_index INTEGER, shard_count INTEGER, runs INTEGER)";

export class ResultsStore {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly con: DuckDBConnection,
    readonly exp: AnyExperiment,
    readonly path: string,
  ) {}

  static async open(path: string, exp: AnyExperiment): Promise<ResultsStore> {
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(path);
    } catch (e) {
      throw new MmError("EINVAL", `${path}: cannot open it as a DuckDB database (${(e as Error).message.split("\n")[0]})`);
    }
    const con = await instance.connect();
    return new ResultsStore(instance, con, exp, path);
  }

  /** Create the tables of a new store for `plan` (shard or whole). */
  static async create(path: string, exp: AnyExperiment, meta: SweepMeta): Promise<ResultsStore> {
    if (existsSync(path)) throw new MmError("EINVAL", `${path} exists; pass --resume to continue it, or remove it`);
    const st = await ResultsStore.open(path, exp);
    const cols = [
      "task INTEGER PRIMARY KEY",
      "cell INTEGER NOT NULL",
      "policy VARCHAR",
      "seed UINTEGER NOT NULL",
      ...Object.entries(exp.params).map(([k, s]) => `${q(k)} ${paramType(s)}`),
      ...Object.entries(exp.metrics).map(([k, m]) => `${q(k)} ${m.kind === "bool" ? "BOOLEAN" : "DOUBLE"}`),
    ];
    await st.con.run(`CREATE TABLE results (${cols.join(", ")})`);
    await st.con.run(
      "CREATE TABLE sweep (hash VARCHAR, experiment VARCHAR, spec VARCHAR, version VARCHAR, revision VARCHAR, shard_index INTEGER, shard_count INTEGER, total INTEGER)",
    );
    await st.con.run("INSERT INTO sweep VALUES ($1, $2, $3, $4, $5, $6, $7, $8)", [
      meta.hash,
      meta.experiment,
      meta.spec,
      meta.version,
      meta.revision,
      meta.shardIndex,
      meta.shardCount,
      meta.total,
    ]);
    await st.con.run(RUNS_TABLE);
    return st;
  }

  /** Record this invocation in `runs` (runs 0 until `endSession`, so a killed one still shows). */
  async beginSession(meta: SweepMeta): Promise<number> {
    // stores written before the runs table existed get it on their first resume
    await this.con.run(RUNS_TABLE);
    const r = await this.con.runAndReadAll("SELECT coalesce(max(session) + 1, 0) FROM runs");
    const session = Number(r.getRows()[0]?.[0] ?? 0);
    await this.addSessions([{ session, hash: meta.hash, version: meta.version, revision: meta.revision, shardIndex: meta.shardIndex, shardCount: meta.shardCount, runs: 0 }]);
    return session;
  }

  async endSession(session: number, runs: number): Promise<void> {
    await this.con.run("UPDATE runs SET runs = $1 WHERE session = $2", [runs, session]);
  }

  async addSessions(records: readonly SessionRecord[]): Promise<void> {
    for (const x of records)
      await this.con.run("INSERT INTO runs VALUES ($1, $2, $3, $4, $5, $6, $7)", [x.session, x.hash, x.version, x.revision, x.shardIndex, x.shardCount, x.runs]);
  }

  /** The `runs` table in order (empty for a store older than it). */
  async sessions(): Promise<SessionRecord[]> {
    await this.con.run(RUNS_TABLE);
    const rows = (await this.con.runAndReadAll("SELECT * FROM runs ORDER BY shard_index, session")).getRowObjectsJS() as Record<string, unknown>[];
    return rows.map((r) => ({
      session: Number(r.session),
      hash: String(r.hash),
      version: String(r.version),
      revision: typeof r.revision === "string" ? r.revision : null,
      shardIndex: Number(r.shard_index),
      shardCount: Number(r.shard_count),
      runs: Number(r.runs),
    }));
  }

  async meta(): Promise<SweepMeta> {
    let rows: Record<string, unknown>[];
    try {
      rows = (await this.con.runAndReadAll("SELECT * FROM sweep")).getRowObjectsJS();
    } catch {
      throw new MmError("EINVAL", `${this.path}: not an mm-lab results store (no sweep table)`);
    }
    const r = rows[0];
    if (r === undefined) throw new MmError("EINVAL", `${this.path}: empty sweep table`);
    return {
      hash: String(r.hash),
      experiment: String(r.experiment),
      spec: String(r.spec),
      version: String(r.version),
      revision: typeof r.revision === "string" ? r.revision : null,
      shardIndex: Number(r.shard_index),
      shardCount: Number(r.shard_count),
      total: Number(r.total),
    };
  }

  async doneTasks(): Promise<Set<number>> {
    const rows = (await this.con.runAndReadAll("SELECT task FROM results")).getRows();
    return new Set(rows.map((r) => Number(r[0])));
  }

  /** Append rows in one transaction (a Ctrl-C between flushes leaves whole rows only). */
  async append(rows: readonly SweepRow[]): Promise<void> {
    if (rows.length === 0) return;
    const params = Object.entries(this.exp.params);
    const metrics = Object.keys(this.exp.metrics);
    const n = 4 + params.length + metrics.length;
    const ph = Array.from({ length: n }, (_, i) => `$${i + 1}`).join(", ");
    const stmt = await this.con.prepare(`INSERT INTO results VALUES (${ph})`);
    await this.con.run("BEGIN TRANSACTION");
    try {
      for (const r of rows) {
        const values = [
          r.task,
          r.cell,
          r.policy,
          r.seed,
          ...params.map(([k, s]) => paramToDb(s, r.config[k])),
          ...metrics.map((k) => normalizeMetric(r.metrics[k])),
        ];
        stmt.bind(values);
        await stmt.run();
      }
      await this.con.run("COMMIT");
    } catch (e) {
      await this.con.run("ROLLBACK");
      throw e;
    }
  }

  async rows(): Promise<SweepRow[]> {
    const reader = await this.con.runAndReadAll("SELECT * FROM results ORDER BY task");
    const objs = reader.getRowObjectsJS() as Record<string, unknown>[];
    const params = Object.entries(this.exp.params);
    const metrics = Object.entries(this.exp.metrics);
    return objs.map((o) => ({
      task: Number(o.task),
      cell: Number(o.cell),
      policy: typeof o.policy === "string" ? o.policy : null,
      seed: Number(o.seed),
      config: Object.fromEntries(params.map(([k, s]) => [k, paramFromDb(s, o[k])])),
      metrics: Object.fromEntries(metrics.map(([k]) => [k, (o[k] ?? null) as MetricValue])),
    }));
  }

  /** Run any SQL; rows as JSON-safe objects (BIGINT as strings), and the column names. */
  async query(sql: string): Promise<{ columns: string[]; rows: Record<string, unknown>[] }> {
    const reader = await this.con.runAndReadAll(sql);
    return { columns: reader.columnNames(), rows: reader.getRowObjectsJson() };
  }

  close(): void {
    this.con.closeSync();
    this.instance.closeSync();
  }
}

export function metaOf(plan: Plan, shard: Shard | null, version: string, revision: string | null): SweepMeta {
  return {
    hash: plan.hash,
    experiment: plan.spec.experiment,
    spec: JSON.stringify(plan.spec),
    version,
    revision,
    shardIndex: shard?.index ?? 0,
    shardCount: shard?.count ?? 1,
    total: plan.total,
  };
}
