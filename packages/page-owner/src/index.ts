export * from "./owner/index.js";
