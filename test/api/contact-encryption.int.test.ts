import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createCustomerService,
  CUSTOMER_EVENT_SCHEMAS,
  reencryptCustomerContacts,
  type ContactProtection,
} from "../../src/modules/customers/index.ts";
import { createBlindIndex } from "../../src/platform/crypto/blind.index.ts";
import { createFieldCipher } from "../../src/platform/crypto/field.cipher.ts";
import { parseKeyRing } from "../../src/platform/crypto/key-ring.ts";
import { EventTypeRegistry } from "../../src/platform/events/event-outbox.ts";
import { CUSTOMER_PROFILE } from "./api-fixtures.ts";
import { newKey, startApiHarness, type ApiHarness } from "./api-harness.ts";

/** Contact e-mail addresses and numbers of customers are encrypted at rest and still found by equality. */

let harness: ApiHarness;
let customerId: string;

const PLAINTEXTS = ["meera@joshipack.example", "9867012345", "+919867012345"];

async function rawCustomer(id: string) {
  const result = await sql<{ contacts: unknown; contact_index: string[] }>`
    select contacts, contact_index from customers where id = ${id}`.execute(harness.database.owner);
  const row = result.rows[0];
  if (!row) throw new Error(`no customer ${id}`);
  return { text: JSON.stringify(row.contacts), index: row.contact_index };
}

function protectionWith(keyRing: string): ContactProtection {
  return {
    cipher: createFieldCipher(parseKeyRing(keyRing)),
    blindIndex: createBlindIndex(Buffer.from(harness.blindIndexKey, "base64")),
  };
}

const matches = (body: Record<string, string>) =>
  harness.call({ method: "POST", path: "/api/v1/customers/matches", token: harness.a.tokens.viewer, body });

beforeAll(async () => {
  harness = await startApiHarness();
  const created = await harness.call({
    method: "POST",
    path: "/api/v1/customers",
    token: harness.a.tokens.collector,
    body: CUSTOMER_PROFILE,
  });
  expect(created.status).toBe(201);
  customerId = created.json<{ customer: { id: string } }>().customer.id;
});

afterAll(async () => {
  await harness?.stop();
});

describe("customer contacts at rest", () => {
  it("stores no plaintext e-mail or number, only ciphertexts naming their key and blind indexes", async () => {
    const { text, index } = await rawCustomer(customerId);
    for (const plaintext of PLAINTEXTS) expect(text).not.toContain(plaintext);
    expect(text).toContain('"email":"enc:v1:k1:');
    expect(text).toContain('"whatsapp":"enc:v1:k1:');
    expect(text).toContain("Meera Joshi");
    // One index for the e-mail, one for the number (the phone and the WhatsApp number are the same).
    expect(index).toHaveLength(2);
    const audit = await sql<{ after: unknown }>`
      select after from audit_log where entity_type = 'customer' and entity_id = ${customerId}`.execute(
      harness.database.owner,
    );
    expect(audit.rows).toHaveLength(1);
    for (const plaintext of PLAINTEXTS) expect(JSON.stringify(audit.rows[0]?.after)).not.toContain(plaintext);
    expect(JSON.stringify(audit.rows[0]?.after)).toContain("m***@joshipack.example");
  });

  it("shows the plaintext to members allowed to read customers, and nothing to another tenant", async () => {
    const read = await harness.call({
      method: "GET",
      path: `/api/v1/customers/${customerId}`,
      token: harness.a.tokens.auditor,
    });
    expect(read.status).toBe(200);
    expect(read.json<{ contacts: unknown[] }>().contacts).toEqual([
      {
        name: "Meera Joshi",
        email: "meera@joshipack.example",
        phone: "+919867012345",
        whatsapp: "+919867012345",
        isPrimary: true,
      },
    ]);
    const list = await harness.call({
      method: "GET",
      path: "/api/v1/customers",
      token: harness.a.tokens.viewer,
    });
    expect(list.text).toContain("meera@joshipack.example");
    const other = await harness.call({
      method: "GET",
      path: `/api/v1/customers/${customerId}`,
      token: harness.b.tokens.owner,
    });
    expect(other.status).toBe(404);
  });

  it("finds customers by e-mail and number through the blind index, in the caller's tenant only", async () => {
    const lookups: Record<string, string>[] = [
      { email: "MEERA@JoshiPack.example " },
      { phone: "098670 12345" },
      { phone: "+91 98670-12345" },
    ];
    for (const body of lookups) {
      const found = await matches(body);
      expect(found.status).toBe(200);
      const items = found.json<{ items: { customer: { id: string } }[] }>().items;
      expect(items.map((item) => item.customer.id)).toEqual([customerId]);
    }
    const elsewhere = await harness.call({
      method: "POST",
      path: "/api/v1/customers/matches",
      token: harness.b.tokens.owner,
      body: { email: "meera@joshipack.example" },
    });
    expect(elsewhere.json<{ items: unknown[] }>().items).toEqual([]);
    // Duplicate detection compares blind indexes: the same number under another name is a likely duplicate.
    const twin = await harness.call({
      method: "POST",
      path: "/api/v1/customers",
      token: harness.a.tokens.owner,
      body: {
        legalName: "Joshi Packaging Works",
        stateCode: "27",
        contacts: [{ name: "Accounts", whatsapp: "+91 98670 12345" }],
      },
    });
    expect(twin.status).toBe(200);
    expect(twin.json()).toMatchObject({ created: false, duplicateOf: { customerId } });
  });

  it("reads rows written before contacts were encrypted and encrypts them on request", async () => {
    const legacyId = randomUUID();
    await sql`insert into customers (id, tenant_id, legal_name, state_code, contacts, preferred_language,
        created_at, updated_at)
      values (${legacyId}, ${harness.a.tenantId}, 'Legacy Traders', '27',
        ${JSON.stringify([{ name: "Old", email: "old@legacy.example", phone: "+919812300000", isPrimary: true }])}::jsonb,
        'en', now(), now())`.execute(harness.database.owner);
    const read = await harness.call({
      method: "GET",
      path: `/api/v1/customers/${legacyId}`,
      token: harness.a.tokens.viewer,
    });
    expect(read.status).toBe(200);
    expect(read.text).toContain("old@legacy.example");
    expect((await matches({ email: "old@legacy.example" })).json<{ items: unknown[] }>().items).toEqual([]);

    const rewritten = await reencryptCustomerContacts({
      owner: harness.database.owner,
      protection: protectionWith(harness.keyRing),
    });
    expect(rewritten).toBe(1);
    const raw = await rawCustomer(legacyId);
    expect(raw.text).not.toContain("old@legacy.example");
    expect(raw.text).not.toContain("9812300000");
    expect(raw.index).toHaveLength(2);
    expect((await matches({ email: "old@legacy.example" })).json<{ items: unknown[] }>().items).toHaveLength(
      1,
    );
    expect(
      await reencryptCustomerContacts({
        owner: harness.database.owner,
        protection: protectionWith(harness.keyRing),
      }),
    ).toBe(0);
  });

  it("rotates keys: new values use the new key, old ones still decrypt, and re-encryption retires the old key", async () => {
    const k2 = newKey("k2");
    const rotated = protectionWith(`${k2},${harness.keyRing}`);
    const events = new EventTypeRegistry();
    for (const [type, schema] of Object.entries(CUSTOMER_EVENT_SCHEMAS)) events.register(type, schema);
    const serviceWith = (protection: ContactProtection) =>
      createCustomerService({ db: harness.database.app, events, now: () => Date.now(), protection });
    const service = serviceWith(rotated);

    // An old row (k1) reads under the rotated ring; a new row is written with k2.
    expect((await service.get(harness.a.tenantId, customerId)).contacts[0]?.email).toBe(
      "meera@joshipack.example",
    );
    const fresh = await service.create(
      {
        profile: {
          legalName: "Rotation Fabrics",
          stateCode: "27",
          contacts: [{ name: "Ravi", email: "ravi@rotation.example", isPrimary: true }],
        },
      },
      { tenantId: harness.a.tenantId, actor: "user:rotation" },
    );
    expect((await rawCustomer(fresh.customer.id)).text).toContain('"email":"enc:v1:k2:');

    // Without k1 the old row cannot be read yet.
    await expect(serviceWith(protectionWith(k2)).get(harness.a.tenantId, customerId)).rejects.toThrow(/k1/);

    const rewritten = await reencryptCustomerContacts({ owner: harness.database.owner, protection: rotated });
    expect(rewritten).toBeGreaterThanOrEqual(2);
    const all = await sql<{ contacts: unknown }>`select contacts from customers`.execute(
      harness.database.owner,
    );
    const stored = JSON.stringify(all.rows.map((row) => row.contacts));
    expect(stored).not.toContain("enc:v1:k1:");
    expect(stored).toContain("enc:v1:k2:");

    // Once re-encrypted, k1 can leave the ring: everything decrypts and is still found.
    const withoutK1 = serviceWith(protectionWith(k2));
    expect((await withoutK1.get(harness.a.tenantId, customerId)).contacts[0]?.email).toBe(
      "meera@joshipack.example",
    );
    const found = await withoutK1.find(harness.a.tenantId, { email: "ravi@rotation.example" });
    expect(found.map((match) => match.customer.id)).toEqual([fresh.customer.id]);
  });
});
