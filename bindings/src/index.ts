export * from "./client";
export type * from "./generated";
export type * from "./protocol";
