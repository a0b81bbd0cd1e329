export * from "./frequency-cap";
export * from "./quiet-hours";
export * from "./zoned-time";
