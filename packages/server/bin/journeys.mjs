#!/usr/bin/env node
// The `journeys` command. TypeScript runs directly through tsx: no build step between a
// fresh clone and a running product (see docs/decisions.md).
import { register } from "tsx/esm/api";

register();
await import("../src/cli/main.ts");
