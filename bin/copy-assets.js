#!/usr/bin/env node
// After `tsc`, copies the files the compiled code reads at run time (SQL migrations, YAML templates) to dist/.
import { cpSync } from "node:fs";

cpSync("src", "dist/src", {
  recursive: true,
  filter: (source) => !/\.(ts|tsx)$/.test(source) || source.endsWith(".d.ts"),
});
