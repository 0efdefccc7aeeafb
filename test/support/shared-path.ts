import { fileURLToPath } from "node:url";
import { resolve } from "node:path";

const repositoryRoot = resolve(fileURLToPath(new URL(".", import.meta.url)), "../..");

/** Path of a file in the shared reference data that sits beside the repository (../shared). */
export function sharedPath(...segments: string[]): string {
  return resolve(repositoryRoot, "../shared", ...segments);
}
