export * from "./analyzer/index.js";
export * from "./owner/index.js";
// The formats newer kernels print: page_owner_stacks/ (6.9+, 6.19), /proc/allocinfo, snapshot diffs.
export type {
  StackPages,
  StacksEntry,
  StacksFormat,
  StacksIssue,
  StacksIssueCode,
  StacksParseOptions,
} from "./analyzer/stacks/api.js";
export { PageOwnerStacksParser, parsePageOwnerStacksText } from "./analyzer/stacks/parse.js";
export { formatStackPages, HandleFrames, sortStacks, StackTable, type StacksSort } from "./analyzer/stacks/join.js";
export { runPageOwnerStacks } from "./analyzer/stacks/program.js";
export type {
  AllocinfoEntry,
  AllocinfoIssue,
  AllocinfoIssueCode,
  AllocinfoParseOptions,
} from "./analyzer/allocinfo/api.js";
export { ALLOCINFO_VERSIONS, AllocinfoParser, parseAllocinfoText } from "./analyzer/allocinfo/parse.js";
export {
  allocinfoTotals,
  formatAllocinfo,
  formatAllocinfoLine,
  sortAllocinfo,
  type AllocinfoSort,
  type AllocinfoTotals,
} from "./analyzer/allocinfo/sort.js";
export { runAllocinfoSort } from "./analyzer/allocinfo/program.js";
export {
  formatSnapshotDiff,
  SnapshotDiff,
  type DiffKey,
  type SnapshotChange,
  type SnapshotTotals,
} from "./analyzer/diff/snapshot-diff.js";
export { SnapshotReader, type DiffBy, type SnapshotFormat, type SnapshotReadOptions } from "./analyzer/diff/snapshot-reader.js";
export { runPageOwnerDiff } from "./analyzer/diff/program.js";
export type { ToolIo } from "./analyzer/internal/tool.js";
