export * from "./definition";
export * from "./enrollment";
export * from "./migrate";
export * from "./parse";
export * from "./simulate";
export * from "./step";
export * from "./validate";
