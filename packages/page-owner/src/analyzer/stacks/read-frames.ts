// Reads a show_stacks_handles file named on a command line (--stacks=FILE) into HandleFrames.

import { MmError } from "@mm/api";
import { feedInput, type ToolIo } from "../internal/tool.js";
import { HandleFrames } from "./join.js";
import { PageOwnerStacksParser } from "./parse.js";

/** @throws MmError BAD_CONFIG when the file is another page_owner_stacks file, PARSE_ERROR when malformed */
export async function readHandleFrames(io: ToolIo, name: string): Promise<HandleFrames> {
  const f = new HandleFrames();
  const p: PageOwnerStacksParser = new PageOwnerStacksParser(
    (e) => {
      if (p.format !== "show_stacks_handles") throw new MmError("BAD_CONFIG", `--stacks wants a show_stacks_handles read, ${name} is ${p.format}`);
      f.add(e);
    },
    { strict: true },
  );
  await feedInput(io, name, (c) => p.push(c));
  p.end();
  return f;
}
