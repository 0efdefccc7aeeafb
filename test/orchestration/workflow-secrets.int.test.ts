import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWorkflowSecretStore } from "../../src/orchestration/secrets/workflow-secret.store.ts";
import { createFieldCipher } from "../../src/platform/crypto/field.cipher.ts";
import { parseKeyRing } from "../../src/platform/crypto/key-ring.ts";
import { startApiHarness, type ApiHarness } from "../api/api-harness.ts";
import { praptiEnvironment, runPrapti } from "../support/prapti-process.ts";
import { waitForInstance } from "../support/running-prapti.ts";

const TOKEN = "tok-live-8c1f0e5b9a7d4e62";

let harness: ApiHarness;
let service: Server;
let serviceUrl: string;
let dataDir: string;
const authorizations: string[] = [];

beforeAll(async () => {
  harness = await startApiHarness();
  dataDir = await mkdtemp(join(tmpdir(), "prapti-secrets-"));
  service = createServer((request, response) => {
    authorizations.push(String(request.headers.authorization ?? ""));
    const allowed = request.headers.authorization === `Bearer ${TOKEN}`;
    response
      .writeHead(allowed ? 200 : 401, { "content-type": "application/json" })
      .end(JSON.stringify({ allowed }));
  });
  await new Promise<void>((resolve) => service.listen(0, "127.0.0.1", resolve));
  serviceUrl = `http://127.0.0.1:${(service.address() as AddressInfo).port}`;
});

afterAll(async () => {
  service?.close();
  await harness?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

const definition = () => `
document: { dsl: '1.0.0', namespace: secrets, name: call-partner, version: '1.0.0' }
use:
  secrets: [partner]
do:
  - callPartner:
      call: http
      with:
        method: get
        endpoint: '${serviceUrl}/ledger'
        headers:
          authorization: '\${ "Bearer " + $secrets.partner.token }'
  - report:
      set:
        visible: '\${ $secrets | keys }'
        echoed: '\${ $secrets.partner.token }'
`;

describe("workflow secrets", () => {
  it("are set, listed by name and deleted by owners and admins only, and never returned", async () => {
    const put = (token: string, name: string, value: unknown) =>
      harness.call({ method: "PUT", path: `/api/v1/workflows/secrets/${name}`, token, body: { value } });
    const created = await put(harness.a.tokens.owner, "partner", { token: TOKEN });
    expect(created.status).toBe(201);
    expect(created.json()).toMatchObject({ name: "partner", keyId: "k1" });
    const replaced = await put(harness.a.tokens.admin, "partner", { token: TOKEN });
    expect(replaced.status).toBe(200);
    expect((await put(harness.a.tokens.owner, "unrelated", "other-value-5512")).status).toBe(201);
    expect((await put(harness.a.tokens.owner, "bad name!", "x")).status).toBe(400);

    for (const role of ["collector", "accountant", "viewer", "auditor"] as const) {
      const token = harness.a.tokens[role];
      expect((await put(token, "partner", { token: "stolen" })).status).toBe(403);
      expect((await harness.call({ method: "GET", path: "/api/v1/workflows/secrets", token })).status).toBe(
        403,
      );
    }

    const listed = await harness.call({
      method: "GET",
      path: "/api/v1/workflows/secrets",
      token: harness.a.tokens.admin,
    });
    expect(listed.status).toBe(200);
    expect(listed.json<{ items: { name: string }[] }>().items.map((item) => item.name)).toEqual([
      "partner",
      "unrelated",
    ]);
    expect(listed.text).not.toContain(TOKEN);
    expect(listed.text).not.toContain("other-value-5512");
    // Another business sees none of them.
    const other = await harness.call({
      method: "GET",
      path: "/api/v1/workflows/secrets",
      token: harness.b.tokens.owner,
    });
    expect(other.json<{ items: unknown[] }>().items).toEqual([]);

    // At rest: encrypted under the current key, bound to its row.
    const stored = await sql<{ name: string; value: string }>`
      select name, value from workflow_secrets order by name`.execute(harness.database.owner);
    for (const row of stored.rows) {
      expect(row.value).toMatch(/^enc:v1:k1:/);
      expect(row.value).not.toContain(TOKEN);
    }
  });

  it("reach a running workflow as $secrets, only those it declares, redacted from its history", async () => {
    const { a } = harness;
    expect(
      (
        await harness.call({
          method: "POST",
          path: "/api/v1/workflow-definitions",
          token: a.tokens.owner,
          body: { source: definition() },
        })
      ).status,
    ).toBeLessThan(300);
    const started = await harness.call({
      method: "POST",
      path: "/api/v1/workflow-instances",
      token: a.tokens.owner,
      body: { namespace: "secrets", name: "call-partner" },
    });
    expect(started.status).toBe(201);
    const instanceId = started.json<{ id: string }>().id;
    const instance = await waitForInstance(harness.prapti, a.tenantId, instanceId, ["completed", "faulted"]);
    expect(instance.status).toBe("completed");
    expect(authorizations).toEqual([`Bearer ${TOKEN}`]);
    // Only the declared secret was loaded ("unrelated" exists but is not declared).
    expect(instance.output).toEqual({ visible: ["partner"], echoed: "[redacted]" });

    const history = await harness.call({
      method: "GET",
      path: `/api/v1/workflow-instances/${instanceId}/history`,
      token: a.tokens.owner,
    });
    expect(history.status).toBe(200);
    expect(history.text).not.toContain(TOKEN);
    const shown = await harness.call({
      method: "GET",
      path: `/api/v1/workflow-instances/${instanceId}`,
      token: a.tokens.owner,
    });
    expect(shown.text).not.toContain(TOKEN);
    const stored = await sql<{ text: string }>`
      select coalesce(string_agg(coalesce(output::text, '') || coalesce(error::text, ''), ' '), '') as text
      from workflow_task_history where instance_id = ${instanceId}`.execute(harness.database.owner);
    expect(stored.rows[0]?.text).toContain("[redacted]");
    expect(stored.rows[0]?.text).not.toContain(TOKEN);
  });

  it("stay out of a faulted instance's error and history", async () => {
    const { a } = harness;
    const source = `
document: { dsl: '1.0.0', namespace: secrets, name: leaky-fault, version: '1.0.0' }
use:
  secrets: [partner]
do:
  - complain:
      raise:
        error:
          type: https://example.com/errors/partner
          status: 400
          title: Partner refused
          detail: '\${ "refused key " + $secrets.partner.token }'
`;
    await harness.call({
      method: "POST",
      path: "/api/v1/workflow-definitions",
      token: a.tokens.owner,
      body: { source },
    });
    const started = await harness.call({
      method: "POST",
      path: "/api/v1/workflow-instances",
      token: a.tokens.owner,
      body: { namespace: "secrets", name: "leaky-fault" },
    });
    const instanceId = started.json<{ id: string }>().id;
    const instance = await waitForInstance(harness.prapti, a.tenantId, instanceId, ["completed", "faulted"]);
    expect(instance.status).toBe("faulted");
    expect(instance.error).toMatchObject({ detail: "refused key [redacted]" });
    const stored = await sql<{ text: string }>`
      select coalesce(string_agg(coalesce(error::text, ''), ' '), '') as text
      from workflow_task_history where instance_id = ${instanceId}`.execute(harness.database.owner);
    expect(stored.rows[0]?.text).toContain("[redacted]");
    expect(stored.rows[0]?.text).not.toContain(TOKEN);
  });

  it("are managed from the CLI with the same key ring", async () => {
    const env = praptiEnvironment({
      DATABASE_URL: harness.database.url,
      PRAPTI_DATA_DIR: dataDir,
      PRAPTI_ENCRYPTION_KEYS: harness.keyRing,
      PRAPTI_BLIND_INDEX_KEY: harness.blindIndexKey,
      LOG_LEVEL: "warn",
    });
    const file = join(dataDir, "bank.json");
    await writeFile(file, JSON.stringify({ clientId: "bank-client", clientSecret: "bank-secret-77aa" }));
    const set = await runPrapti(
      ["workflow", "secret", "set", "bank", "--tenant", harness.a.slug, "--file", file],
      env,
    );
    expect(set.output).toContain("created secret bank");
    expect(set.code).toBe(0);
    const listed = await runPrapti(["workflow", "secret", "list", "--tenant", harness.a.slug], env);
    expect(listed.code).toBe(0);
    expect(listed.output).toMatch(/^bank\s+key k1/m);
    expect(listed.output).not.toContain("bank-secret-77aa");

    const store = createWorkflowSecretStore({
      db: harness.database.app,
      cipher: createFieldCipher(parseKeyRing(harness.keyRing)),
    });
    expect(await store.load(harness.a.tenantId, ["bank", "missing"])).toEqual({
      bank: { clientId: "bank-client", clientSecret: "bank-secret-77aa" },
    });
    expect(await store.load(harness.b.tenantId, ["bank"])).toEqual({});

    const deleted = await runPrapti(
      ["workflow", "secret", "delete", "bank", "--tenant", harness.a.slug],
      env,
    );
    expect(deleted.code).toBe(0);
    const again = await runPrapti(["workflow", "secret", "delete", "bank", "--tenant", harness.a.slug], env);
    expect(again.code).toBe(1);
    expect(again.output).toMatch(/workflow secret bank not found/);
    const gone = await harness.call({
      method: "DELETE",
      path: "/api/v1/workflows/secrets/unrelated",
      token: harness.a.tokens.owner,
    });
    expect(gone.status).toBe(204);
  });
});
