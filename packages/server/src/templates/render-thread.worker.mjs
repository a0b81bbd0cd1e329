// A render thread's entry (see render-threads.ts): a thread does not inherit the process's
// TypeScript loader, so it registers its own before loading the host.
import { register } from "tsx/esm/api";

register();
await import("./render-thread-host.ts");
