import { randomBytes } from "node:crypto";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../../test/support/test-database.ts";
import { createBlindIndex } from "./blind.index.ts";
import { createFieldCipher, reencryptColumn } from "./field.cipher.ts";
import { parseKeyRing } from "./key-ring.ts";

let database: TestDatabase;
const k1 = randomBytes(32).toString("base64");
const k2 = randomBytes(32).toString("base64");

beforeAll(async () => {
  database = await createTestDatabase();
  await sql`create table crypto_test_contacts (id text primary key, email text, email_index text)`.execute(
    database.owner,
  );
});

afterAll(async () => {
  await database?.drop();
});

describe("encrypted columns", () => {
  it("rotate to a new key in batches, leaving plaintext and current values alone", async () => {
    const before = createFieldCipher(parseKeyRing(`k1:${k1}`));
    const index = createBlindIndex(randomBytes(32));
    const emails = Array.from({ length: 25 }, (_, n) => `customer${n}@example.in`);
    for (const [n, email] of emails.entries()) {
      const id = `c${String(n).padStart(3, "0")}`;
      await sql`insert into crypto_test_contacts values (${id}, ${before.encrypt(email, `contacts.email:${id}`)}, ${index.email(email)})`.execute(
        database.owner,
      );
    }
    await sql`insert into crypto_test_contacts values ('plain', 'not encrypted', null), ('empty', null, null)`.execute(
      database.owner,
    );

    // Lookup by equality through the blind index, without decrypting anything.
    const found = await sql<{ id: string }>`
      select id from crypto_test_contacts where email_index = ${index.email(" Customer7@Example.in ")}`.execute(
      database.owner,
    );
    expect(found.rows).toEqual([{ id: "c007" }]);

    const ring = parseKeyRing(`k2:${k2},k1:${k1}`);
    const after = createFieldCipher(ring);
    const rewritten = await reencryptColumn(database.owner, after, ring.current.id, {
      table: "crypto_test_contacts",
      keyColumn: "id",
      column: "email",
      contextOf: (id) => `contacts.email:${id}`,
      batchSize: 10,
    });
    expect(rewritten).toBe(25);
    expect(
      await reencryptColumn(database.owner, after, ring.current.id, {
        table: "crypto_test_contacts",
        keyColumn: "id",
        column: "email",
        contextOf: (id) => `contacts.email:${id}`,
      }),
    ).toBe(0);

    const rows = await sql<{
      id: string;
      email: string | null;
    }>`select id, email from crypto_test_contacts order by id`.execute(database.owner);
    const onlyNewKey = createFieldCipher(parseKeyRing(`k2:${k2}`));
    for (const row of rows.rows) {
      if (row.id === "plain") expect(row.email).toBe("not encrypted");
      else if (row.id === "empty") expect(row.email).toBeNull();
      else {
        expect(onlyNewKey.keyIdOf(row.email ?? "")).toBe("k2");
        expect(onlyNewKey.decrypt(row.email ?? "", `contacts.email:${row.id}`)).toBe(
          emails[Number(row.id.slice(1))],
        );
      }
    }
  });
});
