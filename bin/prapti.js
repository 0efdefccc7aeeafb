#!/usr/bin/env node
// The `prapti` command: loads the TypeScript sources through tsx, so no build step is needed.
import { register } from "tsx/esm/api";

register();
await import("../src/main.ts");
