export * from "./definition";
export * from "./provider";
export * from "./providers";
export * from "./registry";
export * from "./setup";
export * from "./smtp";
export * from "./unsubscribe";
