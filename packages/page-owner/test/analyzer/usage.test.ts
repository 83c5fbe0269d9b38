import { describe, expect, it } from "vitest";
import { runPageOwnerSort } from "@mm/page-owner";

async function run(argv: string[]): Promise<{ code: number; out: string }> {
  let out = "";
  const code = await runPageOwnerSort(argv, {
    stdout: (d) => (out += typeof d === "string" ? d : Buffer.from(d).toString("latin1")),
    stderr: () => {},
  });
  return { code, out };
}

// usage() texts as upstream writes them: the 6.12 text is the one "tools/mm: Update the usage
// output" introduced (6.7); the 6.1 text lists -a between -n and -r, and -d after -f.
const USAGE_6_12 =
  "Usage: ./page_owner_sort [OPTIONS] <input> <output>\n" +
  "-a\t\t\tSort by memory allocation time.\n" +
  "-m\t\t\tSort by total memory.\n" +
  "-n\t\t\tSort by task command name.\n" +
  "-p\t\t\tSort by pid.\n" +
  "-P\t\t\tSort by tgid.\n" +
  "-s\t\t\tSort by the stacktrace.\n" +
  "-t\t\t\tSort by number of times record is seen (default).\n\n" +
  "--pid <pidlist>\t\tSelect by pid. This selects the information of\n\t\t\tblocks whose process ID numbers appear in <pidlist>.\n" +
  "--tgid <tgidlist>\tSelect by tgid. This selects the information of\n\t\t\tblocks whose Thread Group ID numbers appear in <tgidlist>.\n" +
  "--name <cmdlist>\tSelect by command name. This selects the information\n\t\t\tof blocks whose command name appears in <cmdlist>.\n" +
  "--cull <rules>\t\tCull by user-defined rules. <rules> is a single\n\t\t\targument in the form of a comma-separated list with some\n\t\t\tcommon fields predefined (pid, tgid, comm, stacktrace, allocator)\n" +
  "--sort <order>\t\tSpecify sort order as: [+|-]key[,[+|-]key[,...]]\n";

describe("usage()", () => {
  it("prints the 6.12 tool's text and exits 1 without input and output", async () => {
    expect(await run([])).toEqual({ code: 1, out: USAGE_6_12 });
  });

  it("prints the 6.1 tool's option list in its order", async () => {
    const { code, out } = await run(["--compat=6.1"]);
    expect(code).toBe(1);
    const flags = out
      .split("\n")
      .filter((l) => /^-[a-zA-Z]\t/.test(l))
      .map((l) => l.slice(0, 2));
    expect(flags).toEqual(["-m", "-s", "-t", "-p", "-P", "-n", "-a", "-r", "-f", "-d"]);
    expect(out).toContain("-a\t\tSort by memory allocate time.\n-r\t\tSort by memory release time.\n");
  });
});
