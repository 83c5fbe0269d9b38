/**
 * @mm/capture: a real Linux machine into the simulator. Import its /proc files, dmesg and
 * page_owner dump into a @mm/buddy machine, report what matches the capture and what does not,
 * and ask what-if questions of it (free page reporting under each policy, fragmentation by owner).
 */
export { CAPTURE_FILES, readCaptureDir, type CaptureDir, type CaptureFileName, type CaptureInput } from "./files.js";
export { parseZoneinfo, type ZoneinfoZone } from "./zoneinfo.js";
export { parseMeminfo } from "./meminfo.js";
export { parseIomem, type Iomem, type IomemEntry } from "./iomem.js";
export { parseDmesg, freedBeforeWatermarks, type Dmesg, type DmesgFree, type DmesgMemoryLine } from "./dmesg.js";
export { readDumpBytes, readDumpText, type DumpRecords, type ReadDumpOptions, type SkipReason } from "./dump.js";
export { memoryMap, planBoot, zoneIndexOf, type BootPlan, type MapSource, type MemoryMap, type PlanInputs } from "./memblock.js";
export { bootCapture, inferLateFrees, machineOptions, thpEvidence, watermarksMatch, type BootChoice, type WatermarkHistory } from "./boot.js";
export { indexRecords, placeRecords, type OwnerIndex, type Placement, type PlaceSkipReason } from "./place.js";
export { mixedBlockCounts } from "./mixed.js";
export {
  compareCapture,
  type BuddyinfoMatch,
  type Compared,
  type FreeMatch,
  type MatchReport,
  type PagetypeinfoMatch,
  type ZoneMatch,
} from "./compare.js";
export { importCapture, type ImportedCapture, type ImportOptions, type MachineWiring, type ParsedFiles } from "./import.js";
export { reportingWhatIf, type ReportingWhatIf, type ReportingWhatIfOptions } from "./whatif/page-reporting.js";
export {
  ownerFragmentation,
  type BlockCensus,
  type OwnerFragmentation,
  type OwnerFragmentationOptions,
  type OwnerStack,
  type PinnedBlock,
  type Polluter,
} from "./whatif/owner-fragmentation.js";
export { formatImportReport, importSummary, type ImportSummary } from "./summary.js";
