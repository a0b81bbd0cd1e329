export * from "./plans/index";
export * from "./result";
