import { createHash } from "node:crypto";
import type { Selectable } from "kysely";
import { sql } from "kysely";
import { z } from "zod";
import { AppError } from "../../kernel/app-error.ts";
import { toPage, type Page } from "../../platform/http/pagination.ts";
import { readCursor } from "./paging.ts";
import type { CommandMeta } from "../../platform/audit/command-actor.ts";
import { maskAccountNumber } from "../../platform/crypto/masking.ts";
import { ACCOUNT_CONTEXTS, normaliseAccountNumber, type AccountSealer } from "./account-protection.ts";
import { parseBankCsv, ZBankCsvMapping, type BankCsvMapping } from "./bank-csv.parser.ts";
import { parseCamt } from "./camt.parser.ts";
import { parseWith } from "./field-issues.ts";
import { parseMt940 } from "./mt940.parser.ts";
import type { BankAccountInput, ImportStatementInput } from "./payments.schemas.ts";
import {
  toJsonb,
  type BankAccountsTable,
  type BankStatementLinesTable,
  type BankStatementsTable,
  type PaymentsDb,
} from "./payments.tables.ts";
import {
  createUnitOfWork,
  isUniqueViolation,
  type PaymentsDeps,
  type UnitOfWork,
} from "./payments.unit-of-work.ts";
import { money, ZMoneyText } from "./payments.views.ts";
import { camtToStatementLines, mt940ToStatementLines, type BankStatementLine } from "./statement-line.ts";

export const ZBankAccountView = z.object({
  id: z.string(),
  name: z.string(),
  accountIdentifier: z.string(),
  bankName: z.string().nullable(),
  ifsc: z.string().nullable(),
  csvMapping: z.record(z.string(), z.unknown()).nullable(),
  createdAt: z.string(),
});
export type BankAccountView = z.infer<typeof ZBankAccountView>;

export const ZStatementView = z.object({
  id: z.string(),
  bankAccountId: z.string(),
  format: z.string(),
  fileName: z.string().nullable(),
  lineCount: z.number().int(),
  newLineCount: z.number().int(),
  importedAt: z.string(),
  importedBy: z.string(),
});
export type StatementView = z.infer<typeof ZStatementView>;

export const ZImportStatementResult = z.object({
  /** True when this very file was imported before: nothing was written. */
  duplicate: z.boolean(),
  statement: ZStatementView,
  /** Lines in the file, lines new to Prapti, lines already known from an earlier (overlapping) statement. */
  lineCount: z.number().int(),
  newLineCount: z.number().int(),
  alreadyKnownCount: z.number().int(),
  creditCount: z.number().int(),
});
export type ImportStatementResult = z.infer<typeof ZImportStatementResult>;

export const ZStatementLineView = z.object({
  id: z.string(),
  statementId: z.string(),
  bankAccountId: z.string(),
  fingerprint: z.string(),
  bookingDate: z.string(),
  valueDate: z.string().nullable(),
  direction: z.enum(["credit", "debit"]),
  amountPaise: ZMoneyText,
  currency: z.string(),
  reversal: z.boolean(),
  bankReference: z.string().nullable(),
  utr: z.string().nullable(),
  channel: z.string().nullable(),
  narration: z.string(),
  counterparty: z.record(z.string(), z.unknown()),
  status: z.enum(["unmatched", "matched", "ignored"]),
  paymentId: z.string().nullable(),
});
export type StatementLineView = z.infer<typeof ZStatementLineView>;

type AccountRow = Selectable<BankAccountsTable>;
type StatementRow = Selectable<BankStatementsTable>;
export type LineRow = Selectable<BankStatementLinesTable>;

function toAccountView(row: AccountRow): BankAccountView {
  return {
    id: row.id,
    name: row.name,
    accountIdentifier: row.account_identifier,
    bankName: row.bank_name,
    ifsc: row.ifsc,
    csvMapping: (row.csv_mapping as Record<string, unknown> | null) ?? null,
    createdAt: row.created_at.toISOString(),
  };
}

function toStatementView(row: StatementRow): StatementView {
  return {
    id: row.id,
    bankAccountId: row.bank_account_id,
    format: row.format,
    fileName: row.file_name,
    lineCount: row.line_count,
    newLineCount: row.new_line_count,
    importedAt: row.imported_at.toISOString(),
    importedBy: row.imported_by,
  };
}

/**
 * The narration as stored: the payer's account number, kept encrypted in the counterparty, is masked where the
 * bank repeats it in the text (MT940 `?31`, CSV descriptions). The rest (UTR, invoice numbers, names) stays for
 * matching and for people to read.
 */
function withoutAccountNumber(narration: string, account: string | undefined): string {
  if (account === undefined || account.trim().length < 6) return narration;
  return narration.split(account.trim()).join(maskAccountNumber(account.trim()));
}

export function toLineView(row: LineRow, accounts: AccountSealer): StatementLineView {
  return {
    id: row.id,
    statementId: row.statement_id,
    bankAccountId: row.bank_account_id,
    fingerprint: row.fingerprint,
    bookingDate: row.booking_date,
    valueDate: row.value_date,
    direction: row.direction as StatementLineView["direction"],
    amountPaise: money(row.amount_paise),
    currency: row.currency,
    reversal: row.reversal,
    bankReference: row.bank_reference,
    utr: row.utr,
    channel: row.channel,
    narration: row.narration,
    counterparty: accounts.openCounterparty(row.id, (row.counterparty ?? {}) as Record<string, unknown>),
    status: row.status as StatementLineView["status"],
    paymentId: row.payment_id,
  };
}

/**
 * Reads a statement file into lines, refusing (INVALID_INPUT, every problem named) anything it cannot read.
 * `account` holds the identifier in plaintext; `isAccount` says whether an account named in the file is it.
 */
function readStatement(
  input: ImportStatementInput,
  account: AccountRow,
  isAccount: (accountId: string) => boolean,
): { format: StatementRow["format"]; lines: BankStatementLine[] } {
  if (input.format === "csv") {
    if (!account.csv_mapping) {
      throw AppError.invalidInput([
        { field: "bankAccountId", reason: "the account has no saved CSV mapping; save one first" },
      ]);
    }
    const mapping = {
      ...(account.csv_mapping as Omit<BankCsvMapping, "accountId">),
      accountId: account.account_identifier,
    };
    return { format: "csv", lines: parseBankCsv({ text: input.content, mapping }) };
  }
  const parsed =
    input.format === "mt940"
      ? { format: "mt940", lines: mt940ToStatementLines(parseMt940(input.content)) }
      : (() => {
          const message = parseCamt(input.content);
          return { format: message.messageType, lines: camtToStatementLines(message) };
        })();
  const others = [...new Set(parsed.lines.map((line) => line.accountId))].filter(
    (accountId) => !isAccount(accountId),
  );
  if (others.length > 0) {
    throw AppError.invalidInput([
      {
        field: "content",
        reason: `the statement is for account ${others.map(maskAccountNumber).join(", ")}, not ${maskAccountNumber(account.account_identifier)}`,
      },
    ]);
  }
  return parsed;
}

export type BankStatementService = ReturnType<typeof createBankStatementService>;

/** Bank accounts, their saved CSV mappings, and statement imports that recognise lines seen before. */
export function createBankStatementService(
  deps: PaymentsDeps,
  unitOfWork: UnitOfWork = createUnitOfWork(deps),
) {
  const { clock, newId, inTenant, command, audit, accounts } = unitOfWork;

  /** The row with its account identifier decrypted (rows written before encryption hold plaintext). */
  function opened(row: AccountRow): AccountRow {
    return {
      ...row,
      account_identifier: accounts.open(row.account_identifier, ACCOUNT_CONTEXTS.bankAccount(row.id)),
    };
  }
  const accountView = (row: AccountRow): BankAccountView => toAccountView(opened(row));

  /** The account, its identifier in plaintext. */
  async function requireAccount(trx: PaymentsDb, id: string): Promise<AccountRow> {
    const row = await trx.selectFrom("bank_accounts").selectAll().where("id", "=", id).executeTakeFirst();
    if (!row) throw AppError.notFound("bank account", id);
    return opened(row);
  }

  /** Whether an account named in a statement is this account: by blind index, or in plaintext for old rows. */
  function matcherFor(tenantId: string, account: AccountRow): (accountId: string) => boolean {
    const expected = normaliseAccountNumber(account.account_identifier);
    if (account.account_identifier_index === null || !accounts.enabled) {
      return (accountId) => normaliseAccountNumber(accountId) === expected;
    }
    const index = account.account_identifier_index;
    return (accountId) => accounts.index(tenantId, accountId) === index;
  }

  /** Refuses an account set up before: by blind index, and among rows written before encryption, in plaintext. */
  async function refuseDuplicate(trx: PaymentsDb, index: string, identifier: string): Promise<void> {
    const rows = await trx
      .selectFrom("bank_accounts")
      .select(["id", "account_identifier", "account_identifier_index"])
      .where((where) =>
        where.or([
          where("account_identifier_index", "=", index),
          where("account_identifier_index", "is", null),
        ]),
      )
      .execute();
    const expected = normaliseAccountNumber(identifier);
    const duplicate = rows.find(
      (row) =>
        row.account_identifier_index === index ||
        normaliseAccountNumber(
          accounts.open(row.account_identifier, ACCOUNT_CONTEXTS.bankAccount(row.id)),
        ) === expected,
    );
    if (duplicate) throw accountExists(identifier);
  }

  const accountExists = (identifier: string) => {
    const masked = maskAccountNumber(normaliseAccountNumber(identifier));
    return AppError.conflict(`account ${masked} is already set up`, { accountIdentifier: masked });
  };

  function checkMapping(mapping: BankAccountInput["csvMapping"], accountIdentifier: string): unknown {
    if (mapping === undefined) return undefined;
    parseWith(ZBankCsvMapping, { ...mapping, accountId: accountIdentifier }, "csvMapping");
    return mapping;
  }

  return {
    createBankAccount(meta: CommandMeta, input: BankAccountInput): Promise<BankAccountView> {
      return command(meta, "payments.create-bank-account", input, async (trx) => {
        const mapping = checkMapping(input.csvMapping, input.accountIdentifier);
        const now = clock();
        const id = newId();
        const index = accounts.index(meta.tenantId, input.accountIdentifier);
        await refuseDuplicate(trx, index, input.accountIdentifier);
        try {
          const row = await trx
            .insertInto("bank_accounts")
            .values({
              id,
              tenant_id: meta.tenantId,
              name: input.name,
              // Encrypted, bound to the row; the blind index keeps it unique per business and findable.
              account_identifier: accounts.seal(input.accountIdentifier, ACCOUNT_CONTEXTS.bankAccount(id)),
              account_identifier_index: index,
              bank_name: input.bankName ?? null,
              ifsc: input.ifsc ?? null,
              csv_mapping: mapping === undefined ? null : toJsonb(mapping),
              created_at: now,
              updated_at: now,
            })
            .returningAll()
            .executeTakeFirstOrThrow();
          await audit(trx, meta, {
            action: "bank-account.created",
            entity: { type: "bank-account", id: row.id },
            after: accountView(row),
          });
          return accountView(row);
        } catch (error) {
          if (isUniqueViolation(error)) throw accountExists(input.accountIdentifier);
          throw error;
        }
      });
    },

    saveCsvMapping(
      meta: CommandMeta,
      input: { bankAccountId: string; csvMapping: NonNullable<BankAccountInput["csvMapping"]> },
    ): Promise<BankAccountView> {
      return command(meta, "payments.save-csv-mapping", input, async (trx) => {
        const account = await requireAccount(trx, input.bankAccountId);
        const mapping = checkMapping(input.csvMapping, account.account_identifier);
        const row = await trx
          .updateTable("bank_accounts")
          .set({ csv_mapping: toJsonb(mapping), updated_at: clock() })
          .where("id", "=", account.id)
          .returningAll()
          .executeTakeFirstOrThrow();
        return accountView(row);
      });
    },

    listBankAccounts: (tenantId: string): Promise<BankAccountView[]> =>
      inTenant(tenantId, async (trx) =>
        (await trx.selectFrom("bank_accounts").selectAll().orderBy("name").orderBy("id").execute()).map(
          accountView,
        ),
      ),

    /**
     * Imports a statement (MT940, camt.05x, or CSV with the account's saved mapping). Lines carry fingerprints:
     * a line already known (from this file or an overlapping statement) is not stored again, and importing the
     * same file twice writes nothing at all.
     */
    importStatement(meta: CommandMeta, input: ImportStatementInput): Promise<ImportStatementResult> {
      return command(meta, "payments.import-statement", input, async (trx) => {
        const account = await requireAccount(trx, input.bankAccountId);
        const fileSha256 = createHash("sha256").update(input.content).digest("hex");
        const seen = await trx
          .selectFrom("bank_statements")
          .selectAll()
          .where("bank_account_id", "=", account.id)
          .where("file_sha256", "=", fileSha256)
          .executeTakeFirst();
        if (seen) {
          return {
            duplicate: true,
            statement: toStatementView(seen),
            lineCount: seen.line_count,
            newLineCount: 0,
            alreadyKnownCount: seen.line_count,
            creditCount: 0,
          };
        }
        const { format, lines } = readStatement(input, account, matcherFor(meta.tenantId, account));
        const statementId = newId();
        const now = clock();
        let inserted = 0;
        const batchSize = 500;
        // The statement row first (lines reference it), its counts once the lines are in.
        await trx
          .insertInto("bank_statements")
          .values({
            id: statementId,
            tenant_id: meta.tenantId,
            bank_account_id: account.id,
            format,
            file_name: input.fileName ?? null,
            file_sha256: fileSha256,
            line_count: lines.length,
            new_line_count: 0,
            imported_at: now,
            imported_by: meta.actor,
          })
          .execute();
        for (let start = 0; start < lines.length; start += batchSize) {
          const batch = lines.slice(start, start + batchSize);
          const rows = await trx
            .insertInto("bank_statement_lines")
            .values(
              batch.map((line) => {
                const id = newId();
                return {
                  id,
                  tenant_id: meta.tenantId,
                  statement_id: statementId,
                  bank_account_id: account.id,
                  fingerprint: line.fingerprint,
                  booking_date: line.bookingDate,
                  value_date: line.valueDate ?? null,
                  direction: line.direction,
                  amount_paise: line.amountMinor,
                  currency: line.currency,
                  reversal: line.reversal,
                  bank_reference: line.bankReference ?? null,
                  customer_reference: line.customerReference ?? null,
                  utr: line.utr ?? null,
                  channel: line.channel ?? null,
                  narration: withoutAccountNumber(line.narration, line.counterparty.account),
                  counterparty: toJsonb(accounts.sealCounterparty(meta.tenantId, id, line.counterparty)),
                  balance_after_paise: line.balanceAfterMinor ?? null,
                  status: "unmatched",
                  payment_id: null,
                };
              }),
            )
            .onConflict((conflict) => conflict.columns(["tenant_id", "fingerprint"]).doNothing())
            .returning("id")
            .execute();
          inserted += rows.length;
        }
        const statement = await trx
          .updateTable("bank_statements")
          .set({ new_line_count: inserted })
          .where("id", "=", statementId)
          .returningAll()
          .executeTakeFirstOrThrow();
        await audit(trx, meta, {
          action: "bank-statement.imported",
          entity: { type: "bank-statement", id: statementId },
          metadata: { format, lines: lines.length, newLines: inserted, fileSha256 },
        });
        return {
          duplicate: false,
          statement: toStatementView(statement),
          lineCount: lines.length,
          newLineCount: inserted,
          alreadyKnownCount: lines.length - inserted,
          creditCount: lines.filter((line) => line.direction === "credit").length,
        };
      });
    },

    listStatements: (tenantId: string, bankAccountId?: string): Promise<StatementView[]> =>
      inTenant(tenantId, async (trx) => {
        let select = trx.selectFrom("bank_statements").selectAll();
        if (bankAccountId) select = select.where("bank_account_id", "=", bankAccountId);
        return (await select.orderBy("imported_at", "desc").orderBy("id").limit(500).execute()).map(
          toStatementView,
        );
      }),

    listLines(
      tenantId: string,
      query: {
        limit: number;
        cursor?: string | undefined;
        statementId?: string | undefined;
        status?: string | undefined;
      },
    ): Promise<Page<StatementLineView>> {
      const cursor = readCursor(query.cursor, "date");
      return inTenant(tenantId, async (trx) => {
        let select = trx.selectFrom("bank_statement_lines").selectAll();
        if (query.statementId) select = select.where("statement_id", "=", query.statementId);
        if (query.status) select = select.where("status", "=", query.status);
        if (cursor) {
          select = select.where(
            sql<boolean>`(booking_date, id) > (${String(cursor.after)}::date, ${cursor.id}::uuid)`,
          );
        }
        const rows = await select
          .orderBy("booking_date")
          .orderBy("id")
          .limit(query.limit + 1)
          .execute();
        const page = toPage(rows, query.limit, (row) => ({ after: row.booking_date, id: row.id }));
        return { items: page.items.map((row) => toLineView(row, accounts)), nextCursor: page.nextCursor };
      });
    },
  };
}
