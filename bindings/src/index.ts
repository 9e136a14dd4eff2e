export * from "./client";
export type * from "./generated";
