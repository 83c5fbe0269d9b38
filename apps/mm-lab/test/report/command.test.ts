import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { isMmError } from "@mm/api";
import { runCli } from "../../src/cli.js";
import { buildReport } from "../../src/report/build.js";
import { REPORT_DATA_FORMAT } from "../../src/report/load.js";
import { abData } from "./fixture.js";

async function cli(...args: string[]): Promise<string> {
  let out = "";
  await runCli(new Command().exitOverride(), ["node", "mm-lab", ...args], (s) => {
    out += s;
  });
  return out;
}

describe("mm-lab report", () => {
  const dir = mkdtempSync(join(tmpdir(), "mm-report-cli-"));

  it("turns saved report data into the page buildReport makes, and prints the path", async () => {
    const input = join(dir, "data.json");
    writeFileSync(input, JSON.stringify({ format: REPORT_DATA_FORMAT, data: abData }));
    const out = join(dir, "sub", "r.html");
    expect(await cli("report", input, "-o", out)).toBe(`${out}\n`);
    expect(readFileSync(out, "utf8")).toBe(buildReport(abData));
  });

  it("--data writes the report data back, and it rebuilds the same page", async () => {
    const input = join(dir, "data2.json");
    writeFileSync(input, JSON.stringify({ format: REPORT_DATA_FORMAT, data: abData }));
    await cli("report", input, "-o", join(dir, "a.html"), "--data", join(dir, "back.json"));
    await cli("report", join(dir, "back.json"), "-o", join(dir, "b.html"));
    expect(readFileSync(join(dir, "b.html"), "utf8")).toBe(readFileSync(join(dir, "a.html"), "utf8"));
  });

  it("bad input is an MmError with a stable code", async () => {
    const garbage = join(dir, "garbage.json");
    writeFileSync(garbage, "{ not json\n");
    const codes: string[] = [];
    for (const args of [["report", join(dir, "missing.json"), "-o", join(dir, "x.html")], ["report", garbage, "-o", join(dir, "x.html")]]) {
      try {
        await cli(...args);
      } catch (e) {
        if (isMmError(e)) codes.push(e.code);
      }
    }
    expect(codes).toEqual(["EINVAL", "PARSE_ERROR"]);
  });
});
