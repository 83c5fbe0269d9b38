// `page_owner_diff`: two snapshots compared per stack or handle, streaming.

import { MmError } from "@mm/api";
import { feedInput, latin1, oneOf, parseToolArgs, runTool, type ToolIo } from "../internal/tool.js";
import { readHandleFrames } from "../stacks/read-frames.js";
import { formatSnapshotDiff, SnapshotDiff } from "./snapshot-diff.js";
import { type DiffBy, SnapshotReader } from "./snapshot-reader.js";

const PROG = "page_owner_diff";

export const PAGE_OWNER_DIFF_USAGE = `Usage: ${PROG} [--by=stack|handle|memcg] [--stacks=FILE] [--lenient] BEFORE AFTER
  BEFORE, AFTER   page_owner dumps, show_stacks or show_handles reads (any mix keyed alike;
                  gzip is detected); "-" is stdin for one of them
  --by=stack      key by frames (default): dumps and show_stacks; show_handles through --stacks
  --by=handle     key by depot handle: show_handles reads
  --by=memcg      key by the memcg a dump's "Charged ... to memcg" line names (5.18+ dumps)
  --stacks=FILE   a show_stacks_handles read: frames for handles
  --lenient       skip malformed records instead of stopping at the first
Prints each stack whose pages changed, most gained first, then one total line.
`;

/** Runs page_owner_diff with argv (without the program name). @returns the exit status */
export async function runPageOwnerDiff(argv: readonly string[], io: ToolIo): Promise<number> {
  return runTool(PROG, io, async () => {
    const { values, flags, positionals } = parseToolArgs(argv, {
      by: { type: "string" },
      stacks: { type: "string" },
      lenient: { type: "boolean" },
      help: { type: "boolean" },
    });
    if (flags.help === true) {
      io.stdout(PAGE_OWNER_DIFF_USAGE);
      return;
    }
    if (positionals.length !== 2) throw new MmError("EINVAL", `expected BEFORE and AFTER, got ${positionals.length} files`);
    if (positionals[0] === "-" && positionals[1] === "-") throw new MmError("EINVAL", "only one of BEFORE and AFTER can be stdin");
    const by = oneOf<DiffBy>(values.by, ["stack", "handle", "memcg"], "stack", "by");
    const strict = flags.lenient !== true;
    const frames = values.stacks === undefined ? undefined : await readHandleFrames(io, values.stacks);
    const diff = new SnapshotDiff();
    const formats: string[] = [];
    for (const side of [0, 1] as const) {
      const r = new SnapshotReader(diff, side, { by, strict, ...(frames === undefined ? {} : { frames }) });
      await feedInput(io, positionals[side], (c) => r.push(c));
      r.end();
      formats.push(r.format ?? "empty");
    }
    let out = formatSnapshotDiff(diff, (h) => frames?.get(h));
    out += `compared: ${positionals[0]} (${formats[0]}) -> ${positionals[1]} (${formats[1]}) by ${by}, ${diff.size} keys\n`;
    io.stdout(latin1(out));
  });
}
