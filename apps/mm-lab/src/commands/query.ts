/**
 * `mm-lab query <db> "<SQL>"`: any SQL over a results store, printed as a table or `--json` lines.
 * `mm-lab merge shard-*.duckdb -o all.duckdb [--out all.jsonl]`: shards of one plan into one store;
 * refuses stores of different plans, duplicate or missing tasks; keeps every shard's `runs` rows.
 */
import { existsSync, writeFileSync } from "node:fs";
import { Command, Option } from "commander";
import Table from "cli-table3";
import { DuckDBInstance } from "@duckdb/node-api";
import { MmError } from "@mm/api";
import { experiments } from "../experiments/index.js";
import type { AnyExperiment } from "../experiment.js";
import { provenance } from "../provenance.js";
import { ResultsStore, type SessionRecord } from "../store/duckdb.js";
import { rowsToJsonl, type SweepRow } from "../store/rows.js";

export async function queryDb(path: string, sql: string): Promise<{ columns: string[]; rows: Record<string, unknown>[] }> {
  if (!existsSync(path)) throw new MmError("EINVAL", `${path}: no such file`);
  const inst = await DuckDBInstance.create(path, { access_mode: "READ_ONLY" }).catch((e: Error) => {
    throw new MmError("EINVAL", `${path}: not a DuckDB database (${e.message.split("\n")[0]})`);
  });
  const con = await inst.connect();
  try {
    const r = await con.runAndReadAll(sql);
    return { columns: r.columnNames(), rows: r.getRowObjectsJson() };
  } catch (e) {
    throw new MmError("EINVAL", `query: ${(e as Error).message.split("\n")[0]}`);
  } finally {
    con.closeSync();
    inst.closeSync();
  }
}

function cellText(v: unknown): string {
  if (v === null || v === undefined) return "NULL";
  return typeof v === "string" || typeof v === "number" || typeof v === "boolean" ? String(v) : JSON.stringify(v);
}

export function queryCommand(out: (s: string) => void): Command {
  return new Command("query")
    .description("run SQL over a results store")
    .argument("<db>", "DuckDB file written by mm-lab sweep or merge")
    .argument("<sql>", 'e.g. "SELECT policy, avg(failed::INT) FROM results GROUP BY ALL"')
    .addOption(new Option("--json", "one JSON object per row"))
    .action(async (db: string, sql: string, o: { json?: boolean }) => {
      const r = await queryDb(db, sql);
      if (o.json === true) {
        for (const row of r.rows) out(`${JSON.stringify(row)}\n`);
        return;
      }
      const t = new Table({ head: r.columns, style: { head: [], border: [], compact: true } });
      for (const row of r.rows) t.push(r.columns.map((c) => cellText(row[c])));
      out(`${t.toString()}\n`);
    });
}

/** Merge shard stores into `target`; returns the merged rows (task order). */
export async function mergeStores(inputs: readonly string[], target: string): Promise<{ exp: AnyExperiment; rows: SweepRow[] }> {
  if (inputs.length === 0) throw new MmError("EINVAL", "merge: no input stores");
  let exp: AnyExperiment | undefined;
  let first: Awaited<ReturnType<ResultsStore["meta"]>> | undefined;
  const all: SweepRow[] = [];
  const sessions: SessionRecord[] = [];
  const shards = new Set<number>();
  for (const path of inputs) {
    if (!existsSync(path)) throw new MmError("EINVAL", `merge: ${path}: no such file`);
    const probe = await queryDb(path, "SELECT experiment FROM sweep").catch(() => {
      throw new MmError("EINVAL", `merge: ${path} is not an mm-lab results store`);
    });
    const name = String(probe.rows[0]?.experiment);
    const e = experiments.find((x) => x.name === name);
    if (e === undefined) throw new MmError("EINVAL", `merge: ${path}: unknown experiment ${name}`);
    const st = await ResultsStore.open(path, e);
    try {
      const m = await st.meta();
      if (first === undefined) {
        first = m;
        exp = e;
      } else if (m.hash !== first.hash || m.shardCount !== first.shardCount) {
        throw new MmError("EINVAL", `merge: ${path} is plan ${m.hash} (${m.shardCount} shards), ${inputs[0]} is ${first.hash} (${first.shardCount} shards)`);
      }
      if (shards.has(m.shardIndex)) throw new MmError("EINVAL", `merge: shard ${m.shardIndex} given twice`);
      shards.add(m.shardIndex);
      all.push(...(await st.rows()));
      sessions.push(...(await st.sessions()));
    } finally {
      st.close();
    }
  }
  all.sort((a, b) => a.task - b.task);
  for (let i = 1; i < all.length; i++) if (all[i].task === all[i - 1].task) throw new MmError("EINVAL", `merge: task ${all[i].task} is in two stores`);
  const missing = Array.from({ length: first!.shardCount }, (_, i) => i).filter((i) => !shards.has(i));
  if (missing.length > 0) throw new MmError("EINVAL", `merge: shard${missing.length > 1 ? "s" : ""} ${missing.join(", ")} of ${first!.shardCount} missing`);
  if (all.length !== first!.total)
    throw new MmError("EINVAL", `merge: ${all.length} of the plan's ${first!.total} runs are stored (an interrupted shard? complete it with --resume)`);
  const p = provenance();
  const merged = await ResultsStore.create(target, exp!, { ...first!, shardIndex: 0, shardCount: 1, version: first!.version, revision: first!.revision ?? p.revision });
  try {
    await merged.append(all);
    // every shard's invocations, shard by shard: which revisions made the merged rows
    await merged.addSessions(sessions.sort((a, b) => a.shardIndex - b.shardIndex || a.session - b.session));
  } finally {
    merged.close();
  }
  return { exp: exp!, rows: all };
}

export function mergeCommand(out: (s: string) => void): Command {
  return new Command("merge")
    .description("merge shard stores of one sweep into one store")
    .argument("<stores...>", "shard-*.duckdb")
    .requiredOption("-o, --output <file>", "the merged DuckDB file")
    .addOption(new Option("--out <file.jsonl>", "also write the merged rows as JSONL"))
    .action(async (stores: string[], o: { output: string; out?: string }) => {
      const { exp, rows } = await mergeStores(stores, o.output);
      if (o.out !== undefined) writeFileSync(o.out, rowsToJsonl(exp, rows));
      const expected = (await queryDb(o.output, "SELECT total FROM sweep")).rows[0]?.total;
      out(`merged ${stores.length} stores: ${rows.length} of ${String(expected)} runs into ${o.output}\n`);
    });
}
