// Public surface of the page_owner dump analyzer (the parser, page_owner_sort and stack views).

export type {
  MemcgCharge,
  PageOwnerRecord,
  ParseIssue,
  ParseIssueCode,
  ParseOptions,
  StackDelta,
  StackSummary,
} from "./api.js";
export { PageOwnerParser, parsePageOwner, parsePageOwnerText } from "./record-parser.js";
export { isGzip, openDump } from "./source.js";
export {
  diffStacks,
  formatShowStacks,
  formatStackDiff,
  formatTopStacks,
  StackAccumulator,
  summarizeStacks,
  topStacks,
  type StackDiff,
  type TopStacks,
} from "./stacks.js";
export { runPageOwnerSort, type PageOwnerSortIo } from "./program.js";
export type { CompatEra } from "./compat/config.js";
export { generatePageOwnerDump, type GenerateOptions } from "./generate.js";
