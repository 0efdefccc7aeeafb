#!/usr/bin/env node
// Runs a TypeScript entry point with tsx's loader: `node bin/run-ts.js path/to/file.ts args...`.
import { register } from "tsx/esm/api";
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";

register();
const [entry] = process.argv.splice(2, 1);
if (!entry) {
  process.stderr.write("usage: run-ts <file.ts> [args...]\n");
  process.exit(2);
}
await import(pathToFileURL(resolve(entry)).href);
