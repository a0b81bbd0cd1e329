export * from "./journeys/index";
export * from "./plans/index";
export * from "./result";
export * from "./segments/index";
