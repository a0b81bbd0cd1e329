export * from "./condition";
export * from "./evaluate";
export * from "./events";
export * from "./parse";
export * from "./problems";
export { DAY_MS } from "./time";
