export * from "./definition";
export * from "./migrate";
export * from "./parse";
export * from "./validate";
