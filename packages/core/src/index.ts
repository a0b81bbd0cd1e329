export * from "./journeys/index";
export * from "./json/index";
export * from "./plans/index";
export * from "./result";
export * from "./segments/index";
export * from "./sending/index";
