// usage() of page_owner_sort, per tool version, and our extension help.
//
// No reference capture covers these texts (every fixture run exits 0). The 6.12 text was checked
// against upstream's source (the 6.7 "Update the usage output" version, test/analyzer/usage.test.ts);
// the 6.1 text's lines and order were checked against the 5.19-6.6 era patches quoting it.

import type { CompatEra } from "./config.js";

/** tools/vm/page_owner_sort.c usage() of 6.1. */
const USAGE_6_1 =
  "Usage: ./page_owner_sort [OPTIONS] <input> <output>\n" +
  "-m\t\tSort by total memory.\n" +
  "-s\t\tSort by the stack trace.\n" +
  "-t\t\tSort by times (default).\n" +
  "-p\t\tSort by pid.\n" +
  "-P\t\tSort by tgid.\n" +
  "-n\t\tSort by task command name.\n" +
  "-a\t\tSort by memory allocate time.\n" +
  "-r\t\tSort by memory release time.\n" +
  "-f\t\tFilter out the information of blocks whose memory has been released.\n" +
  "-d\t\tPrint debug information.\n" +
  "--pid <pidlist>\tSelect by pid. This selects the information of blocks whose process ID numbers appear in <pidlist>.\n" +
  "--tgid <tgidlist>\tSelect by tgid. This selects the information of blocks whose Thread Group ID numbers appear in <tgidlist>.\n" +
  "--name <cmdlist>\n\t\tSelect by command name. This selects the information of blocks whose command name appears in <cmdlist>.\n" +
  "--cull <rules>\tCull by user-defined rules.<rules> is a single argument in the form of a comma-separated list with some common fields predefined\n" +
  "--sort <order>\tSpecify sort order as: [+|-]key[,[+|-]key[,...]]\n";

/** tools/mm/page_owner_sort.c usage() of 6.7+ (reorganised by "tools/mm: Update the usage output"). */
const USAGE_6_12 =
  "Usage: ./page_owner_sort [OPTIONS] <input> <output>\n" +
  "-a\t\t\tSort by memory allocation time.\n" +
  "-m\t\t\tSort by total memory.\n" +
  "-n\t\t\tSort by task command name.\n" +
  "-p\t\t\tSort by pid.\n" +
  "-P\t\t\tSort by tgid.\n" +
  "-s\t\t\tSort by the stacktrace.\n" +
  "-t\t\t\tSort by number of times record is seen (default).\n\n" +
  "--pid <pidlist>\t\tSelect by pid. This selects the information" +
  " of\n\t\t\tblocks whose process ID numbers appear in <pidlist>.\n" +
  "--tgid <tgidlist>\tSelect by tgid. This selects the information" +
  " of\n\t\t\tblocks whose Thread Group ID numbers appear in " +
  "<tgidlist>.\n" +
  "--name <cmdlist>\tSelect by command name. This selects the" +
  " information\n\t\t\tof blocks whose command name appears in" +
  " <cmdlist>.\n" +
  "--cull <rules>\t\tCull by user-defined rules. <rules> is a " +
  "single\n\t\t\targument in the form of a comma-separated list " +
  "with some\n\t\t\tcommon fields predefined (pid, tgid, comm, " +
  "stacktrace, allocator)\n" +
  "--sort <order>\t\tSpecify sort order as: [+|-]key[,[+|-]key[,...]]\n";

/** The kernel tool's usage text for an era (printed on stdout). */
export function usageText(era: CompatEra): string {
  return era === "6.1" ? USAGE_6_1 : USAGE_6_12;
}

/** `--help-ext`: the options this implementation adds (exact names only, never abbreviated). */
export const EXTENSION_HELP =
  "Extensions of this page_owner_sort (long options, exact names only):\n" +
  "  --compat=6.1|6.12   behave as the 6.1 or the 6.7+ (6.12) tool (default 6.12)\n" +
  "  --strict            report every malformed record with its line number on stderr;\n" +
  "                      exit status 2 if there was any\n" +
  "  --json              write the output file as JSON (same groups and order)\n" +
  "  --stacks            per-stack summary like page_owner_stacks/show_stacks\n" +
  "  --threshold=N       with --stacks: only stacks with at least N base pages\n" +
  "  --top=N             the N stacks holding most pages, and a total line\n" +
  "  --diff              page_owner_sort --diff <before> <after> [<output>]:\n" +
  "                      which stacks grew or shrank between two dumps, by pages\n" +
  "  --memcg             group also by the memcg trailer lines (Slab cache page,\n" +
  "                      Charged [(via objcg) ]to [offline ]memcg NAME) and print them\n" +
  "                      as a column; alone: group by memcg only\n" +
  "  --help-ext          this text\n" +
  "Inputs may be gzip-compressed or '-' (stdin); the output may be '-' (stdout) and, with\n" +
  "--stacks, --top and --diff, may be omitted (stdout). --pid, --tgid and --name also filter\n" +
  "--stacks, --top and --diff.\n";
