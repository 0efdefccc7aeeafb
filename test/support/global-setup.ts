import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import {
  startEmbeddedPostgres,
  type EmbeddedPostgresHandle,
} from "../../src/platform/db/embedded-postgres.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** A PostgreSQL server on which tests create (and drop) databases of their own. */
    serverUrl: string;
  }
}

/**
 * Tests run against DATABASE_URL when it is set (CI uses the machine's PostgreSQL); otherwise against an
 * embedded PostgreSQL started here for the whole run.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const configured = process.env.DATABASE_URL;
  if (configured && configured.trim() !== "") {
    project.provide("serverUrl", configured);
    return async () => undefined;
  }
  const dataDir = await mkdtemp(join(tmpdir(), "prapti-test-pg-"));
  const embedded: EmbeddedPostgresHandle = await startEmbeddedPostgres({ dataDir });
  project.provide("serverUrl", embedded.url);
  return async () => {
    await embedded.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
}
