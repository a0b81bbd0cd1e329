export * from "./content";
export * from "./liquid";
export * from "./preview";
export * from "./render";
export * from "./template";
export * from "./templates";
export * from "./text";
