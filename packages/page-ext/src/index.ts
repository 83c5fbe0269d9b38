/** @mm/page-ext: per-page extension storage with the kernel's page_ext byte accounting (mm/page_ext.c). */
export {
  PAGE_EXT_OWNER,
  PAGE_EXT_OWNER_ALLOCATED,
  PAGE_EXT_PIN_OWNER,
  type FieldArray,
  type FieldArrays,
  type FieldKind,
  type FieldSpec,
  type FieldSpecs,
  type FlagsWordPolicy,
  type PageExt,
  type PageExtClient,
  type PageExtMemory,
  type PageExtOps,
  type PageExtOptions,
  type PfnRange,
  type SectionTable,
} from "./api.js";
export { createPageExt, presentSections } from "./page-ext.js";
export {
  byteCounter,
  getOrder,
  pagesMemory,
  PAGE_EXT_GFP,
  VZALLOC_PAGE_GFP,
  type ByteCounter,
  type ExactPageSource,
  type PagesMemory,
} from "./memory.js";
export {
  C_TYPE_SIZES,
  cStructLayout,
  PAGE_EXT_FLAGS_BYTES,
  PAGE_OWNER_ERAS,
  pageOwnerClientSize,
  pageOwnerPageExtBytes,
  type CLayout,
  type CMember,
  type CType,
  type PageOwnerEra,
  type PageOwnerEraProfile,
} from "./layout.js";
