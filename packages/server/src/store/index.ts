export * from "./json";
export * from "./migrate";
export * from "./open-store";
export * from "./postgres/postgres-store";
export type * from "./schema";
export * from "./sqlite/sqlite-store";
export * from "./store";
