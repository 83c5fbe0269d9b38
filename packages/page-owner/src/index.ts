export * from "./analyzer/index.js";
export * from "./owner/index.js";
