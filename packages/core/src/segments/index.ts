export * from "./condition";
export * from "./dependencies";
export * from "./evaluate";
export * from "./events";
export * from "./graph";
export * from "./parse";
export * from "./problems";
export { DAY_MS } from "./time";
export { isoInstant, toNumber } from "./values";
