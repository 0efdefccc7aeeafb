import type { Selectable } from "kysely";
import { sql } from "kysely";
import { z } from "zod";
import { AppError, isAppError } from "../../kernel/app-error.ts";
import { toPage, type Page } from "../../platform/http/pagination.ts";
import type { CommandMeta } from "../../platform/audit/command-actor.ts";
import { isEncryptedValue } from "../../platform/crypto/field.cipher.ts";
import { ACCOUNT_CONTEXTS } from "./account-protection.ts";
import type { PaymentChannel } from "./bank-narration.parser.ts";
import type { ReceiptChannel } from "./payment.events.ts";
import { normaliseReference } from "./payment.schema.ts";
import { readSettings } from "./payment-settings.service.ts";
import { createPaymentService, type PaymentService } from "./payment.service.ts";
import { readCursor } from "./paging.ts";
import { lockPayment } from "./payment.repository.ts";
import { addDays, type IsoDate } from "./calendar-date.ts";
import {
  matchRecordedReceipts,
  type RecordedReceipt,
  type RecordedReceiptMatch,
} from "./recorded-receipt.matcher.ts";
import type { AllocationLineInput, ApplyProposalInput, RunMatchingInput } from "./payments.schemas.ts";
import { toJsonb, type PaymentsDb, type ReconciliationProposalsTable } from "./payments.tables.ts";
import { createUnitOfWork, type PaymentsDeps, type UnitOfWork } from "./payments.unit-of-work.ts";
import { money, ZMoneyText } from "./payments.views.ts";
import {
  matchReconciliation,
  type ExpectedReceipt,
  type MatchableCustomer,
  type MatchableInvoice,
  type ProposedAllocation,
  type ReconciliationLine,
  type ReconciliationProposal,
} from "./reconciliation.matcher.ts";
import type { TdsProfile } from "./tds.calculator.ts";
import type { TdsSection } from "./tds-rates.data.ts";

const ZProposedAllocationView = z.object({
  invoiceId: z.string(),
  invoiceNumber: z.string(),
  cashPaise: ZMoneyText,
  incomeTaxTdsPaise: ZMoneyText,
  gstTdsPaise: ZMoneyText,
  writeOffPaise: ZMoneyText,
  tdsSection: z.string().optional(),
  writeOffReason: z.string().optional(),
});

export const ZProposalView = z.object({
  id: z.string(),
  runId: z.string(),
  lineId: z.string(),
  line: z.object({
    date: z.string(),
    amountPaise: ZMoneyText,
    narration: z.string(),
    utr: z.string().nullable(),
    payerName: z.string().nullable(),
  }),
  customerId: z.string(),
  allocations: z.array(ZProposedAllocationView),
  creditPaise: ZMoneyText,
  confidence: z.number(),
  reason: z.string(),
  evidence: z.array(z.string()),
  flags: z.array(z.string()),
  autoApplicable: z.boolean(),
  alternativeCount: z.number().int(),
  status: z.enum(["proposed", "auto-applied", "accepted", "rejected", "undone", "superseded"]),
  paymentId: z.string().nullable(),
  /** Set when the line is proposed to be linked to a receipt recorded before it was imported (nothing new is recorded). */
  existingPaymentId: z.string().nullable(),
  decidedAt: z.string().nullable(),
  decidedBy: z.string().nullable(),
  decisionNote: z.string().nullable(),
  createdAt: z.string(),
});
export type ProposalView = z.infer<typeof ZProposalView>;

export const ZRunMatchingResult = z.object({
  runId: z.string(),
  lineCount: z.number().int(),
  invoiceCount: z.number().int(),
  proposedCount: z.number().int(),
  autoAppliedCount: z.number().int(),
  unmatchedCount: z.number().int(),
  autoApplyThreshold: z.number(),
  /** Auto-applicable proposals that could not be applied (the receipt was already recorded, ...). */
  notApplied: z.array(z.object({ proposalId: z.string(), reason: z.string() })),
  /** The first proposals of the run (the rest through the proposals list). */
  proposals: z.array(ZProposalView),
});
export type RunMatchingResult = z.infer<typeof ZRunMatchingResult>;

export const ZDecisionResult = z.object({
  proposal: ZProposalView,
  paymentId: z.string().nullable(),
});
export type DecisionResult = z.infer<typeof ZDecisionResult>;

type ProposalRow = Selectable<ReconciliationProposalsTable>;
interface LineFacts {
  line_date: string;
  amount_paise: bigint;
  narration: string;
  utr: string | null;
  counterparty: unknown;
}

const CHANNEL_METHOD: Record<PaymentChannel, ReceiptChannel> = {
  NEFT: "neft",
  RTGS: "rtgs",
  IMPS: "imps",
  UPI: "upi",
  CHEQUE: "cheque",
  CASH: "cash",
  CARD: "card",
  ACH: "other",
  INTERNAL: "other",
};

/** How far before the earliest line a recorded receipt may be, to be matched to a line by its reference. */
const RECORDED_RECEIPT_LOOKBACK_DAYS = 30;

/** Advisory-lock class of a tenant's reconciliation runs ("RECN"): one run at a time per tenant. */
const RUN_LOCK_CLASS = 0x5245434e;

function storedAllocations(value: unknown): ProposedAllocation[] {
  return (value as Array<Record<string, string | undefined>>).map((item) => ({
    invoiceId: item.invoiceId ?? "",
    invoiceNumber: item.invoiceNumber ?? "",
    cashPaise: BigInt(item.cashPaise ?? "0"),
    incomeTaxTdsPaise: BigInt(item.incomeTaxTdsPaise ?? "0"),
    gstTdsPaise: BigInt(item.gstTdsPaise ?? "0"),
    writeOffPaise: BigInt(item.writeOffPaise ?? "0"),
    ...(item.tdsSection ? { tdsSection: item.tdsSection as TdsSection } : {}),
    ...(item.writeOffReason ? { writeOffReason: item.writeOffReason } : {}),
  }));
}

function toProposalView(row: ProposalRow, line: LineFacts): ProposalView {
  const counterparty = (line.counterparty ?? {}) as { name?: string };
  return {
    id: row.id,
    runId: row.run_id,
    lineId: row.line_id,
    line: {
      date: line.line_date,
      amountPaise: money(line.amount_paise),
      narration: line.narration,
      utr: line.utr,
      payerName: counterparty.name ?? null,
    },
    customerId: row.customer_id,
    allocations: storedAllocations(row.allocations).map((allocation) => ({
      invoiceId: allocation.invoiceId,
      invoiceNumber: allocation.invoiceNumber,
      cashPaise: money(allocation.cashPaise),
      incomeTaxTdsPaise: money(allocation.incomeTaxTdsPaise),
      gstTdsPaise: money(allocation.gstTdsPaise),
      writeOffPaise: money(allocation.writeOffPaise),
      ...(allocation.tdsSection ? { tdsSection: allocation.tdsSection } : {}),
      ...(allocation.writeOffReason ? { writeOffReason: allocation.writeOffReason } : {}),
    })),
    creditPaise: money(row.credit_paise),
    confidence: Number(row.confidence),
    reason: row.reason,
    evidence: row.evidence as string[],
    flags: row.flags,
    autoApplicable: row.auto_applicable,
    alternativeCount: (row.alternatives as unknown[]).length,
    status: row.status as ProposalView["status"],
    paymentId: row.payment_id,
    existingPaymentId: row.existing_payment_id,
    decidedAt: row.decided_at ? row.decided_at.toISOString() : null,
    decidedBy: row.decided_by,
    decisionNote: row.decision_note,
    createdAt: row.created_at.toISOString(),
  };
}

export type ReconciliationService = ReturnType<typeof createReconciliationService>;

/**
 * Reconciliation over stored statement lines: the matcher proposes, proposals are stored, the ones the matcher
 * calls auto-applicable at or above the tenant's threshold are applied at once, and a person accepts, rejects or
 * undoes the rest. Applying always records the receipt and allocates it through the payment service, so the same
 * locks and rules hold as for a receipt entered by hand.
 */
export function createReconciliationService(
  deps: PaymentsDeps,
  unitOfWork: UnitOfWork = createUnitOfWork(deps),
  payments: PaymentService = createPaymentService(deps, unitOfWork),
) {
  const { clock, newId, inTenant, command, audit, accounts } = unitOfWork;

  /** Records a person's (or the auto-apply's) decision on a proposal, moving its version on. */
  async function recordDecision(
    trx: PaymentsDb,
    proposal: { id: string; version: number },
    meta: CommandMeta,
    decision: {
      status: "accepted" | "auto-applied" | "rejected" | "undone";
      note?: string | undefined;
      paymentId?: string;
      batchId?: string;
    },
  ): Promise<void> {
    await trx
      .updateTable("reconciliation_proposals")
      .set({
        status: decision.status,
        ...(decision.paymentId !== undefined ? { payment_id: decision.paymentId } : {}),
        ...(decision.batchId !== undefined ? { batch_id: decision.batchId } : {}),
        decided_at: clock(),
        decided_by: meta.actor,
        decision_note: decision.note ?? null,
        version: proposal.version + 1,
      })
      .where("id", "=", proposal.id)
      .execute();
  }

  const lineFacts = (trx: PaymentsDb) =>
    trx
      .selectFrom("reconciliation_proposals as p")
      .innerJoin("bank_statement_lines as l", "l.id", "p.line_id")
      .selectAll("p")
      .select([
        sql<string>`coalesce(l.value_date, l.booking_date)::text`.as("line_date"),
        "l.amount_paise",
        "l.narration",
        "l.utr",
        "l.counterparty",
      ]);

  async function proposalView(trx: PaymentsDb, id: string): Promise<ProposalView> {
    const row = await lineFacts(trx).where("p.id", "=", id).executeTakeFirst();
    if (!row) throw AppError.notFound("reconciliation proposal", id);
    return toProposalView(row, row);
  }

  /** Records the line's receipt for the customer and settles the invoices, inside the caller's transaction. */
  async function applyInTrx(
    trx: PaymentsDb,
    meta: CommandMeta,
    proposal: ProposalRow,
    options: {
      status: "auto-applied" | "accepted";
      override?: ApplyProposalInput["override"];
      note?: string;
    },
  ): Promise<string> {
    const line = await trx
      .selectFrom("bank_statement_lines")
      .selectAll()
      .where("id", "=", proposal.line_id)
      .forUpdate()
      .executeTakeFirstOrThrow();
    if (line.status !== "unmatched") {
      throw AppError.conflict("the statement line is already matched", { lineId: line.id });
    }
    if (proposal.existing_payment_id) {
      if (options.override) {
        throw AppError.invalidInput([
          {
            field: "override",
            reason:
              "the line is linked to a receipt already recorded; change that receipt's allocations instead",
          },
        ]);
      }
      return linkInTrx(trx, meta, proposal, proposal.existing_payment_id, line.id, options);
    }
    const customerId = options.override?.customerId ?? proposal.customer_id;
    const lines: AllocationLineInput[] =
      options.override?.lines ??
      storedAllocations(proposal.allocations).map((allocation) => ({
        invoiceId: allocation.invoiceId,
        cashPaise: allocation.cashPaise,
        incomeTaxTdsPaise: allocation.incomeTaxTdsPaise,
        gstTdsPaise: allocation.gstTdsPaise,
        writeOffPaise: allocation.writeOffPaise,
        ...(allocation.tdsSection ? { tdsSection: allocation.tdsSection } : {}),
        ...(allocation.writeOffReason ? { writeOffReason: allocation.writeOffReason } : {}),
      }));
    const counterparty = accounts.openCounterparty(
      line.id,
      (line.counterparty ?? {}) as Record<string, unknown>,
    ) as {
      name?: string;
      vpa?: string;
      account?: string;
    };
    const method = line.channel ? (CHANNEL_METHOD[line.channel as PaymentChannel] ?? "other") : "other";
    const reference = line.utr ? normaliseReference(line.utr) : line.bank_reference;
    const date = line.value_date ?? line.booking_date;
    const receipt = await payments.insertReceipt(trx, meta, {
      customerId,
      method,
      reference: reference ?? null,
      payer: {
        ...(counterparty.name ? { name: counterparty.name } : {}),
        ...(counterparty.vpa ? { vpa: counterparty.vpa } : {}),
        ...(counterparty.account ? { accountNumber: counterparty.account } : {}),
      },
      receivedOn: date,
      amountPaise: line.amount_paise,
      source: "bank-statement",
      externalId: line.fingerprint,
    });
    const allocated = await payments.allocateInTrx(trx, meta, {
      paymentId: receipt.id,
      lines,
      date,
      proposalId: proposal.id,
    });
    await trx
      .updateTable("bank_statement_lines")
      .set({ status: "matched", payment_id: receipt.id })
      .where("id", "=", line.id)
      .execute();
    await recordDecision(trx, proposal, meta, {
      status: options.status,
      note: options.note,
      paymentId: receipt.id,
      batchId: allocated.batchId,
    });
    // What the payer paid from is evidence for next time.
    const profile = await trx
      .selectFrom("payer_profiles")
      .select(["vpas", "account_numbers", "account_number_index"])
      .where("customer_id", "=", customerId)
      .executeTakeFirst();
    if (profile) {
      const vpa = counterparty.vpa?.trim().toLowerCase();
      const account = counterparty.account?.replace(/\s/g, "");
      const vpas = vpa && !profile.vpas.includes(vpa) ? [...profile.vpas, vpa] : profile.vpas;
      // Known accounts are compared by blind index (and, in rows written before encryption, in plaintext).
      const accountIndex = account && accounts.enabled ? accounts.index(meta.tenantId, account) : undefined;
      const learnAccount =
        account !== undefined &&
        accountIndex !== undefined &&
        /^\d{6,18}$/.test(account) &&
        !profile.account_number_index.includes(accountIndex) &&
        !profile.account_numbers.includes(account);
      if (vpas !== profile.vpas || learnAccount) {
        await trx
          .updateTable("payer_profiles")
          .set({
            vpas,
            ...(learnAccount
              ? {
                  account_numbers: [
                    ...profile.account_numbers,
                    accounts.seal(account, ACCOUNT_CONTEXTS.payerProfile(meta.tenantId, customerId)),
                  ],
                  account_number_index: [...profile.account_number_index, accountIndex],
                }
              : {}),
            updated_at: clock(),
          })
          .where("customer_id", "=", customerId)
          .execute();
      }
    }
    await audit(trx, meta, {
      action: options.status === "auto-applied" ? "reconciliation.auto-applied" : "reconciliation.accepted",
      entity: { type: "reconciliation-proposal", id: proposal.id },
      metadata: {
        lineId: line.id,
        paymentId: receipt.id,
        batchId: allocated.batchId,
        confidence: Number(proposal.confidence),
        ...(options.override ? { override: true } : {}),
      },
    });
    return receipt.id;
  }

  /**
   * Links a statement line to a receipt recorded before it (by hand, an import, a gateway): the line is matched
   * to that receipt and nothing new is recorded or allocated, so the money is never counted twice.
   */
  async function linkInTrx(
    trx: PaymentsDb,
    meta: CommandMeta,
    proposal: ProposalRow,
    paymentId: string,
    lineId: string,
    options: { status: "auto-applied" | "accepted"; note?: string },
  ): Promise<string> {
    const payment = await lockPayment(trx, paymentId);
    if (payment.status !== "received") {
      throw AppError.conflict(`the receipt to link is ${payment.status}`, { paymentId });
    }
    const other = await trx
      .selectFrom("bank_statement_lines")
      .select("id")
      .where("payment_id", "=", paymentId)
      .executeTakeFirst();
    if (other) {
      throw AppError.conflict("the receipt is already matched to another statement line", {
        paymentId,
        lineId: other.id,
      });
    }
    await trx
      .updateTable("bank_statement_lines")
      .set({ status: "matched", payment_id: paymentId })
      .where("id", "=", lineId)
      .execute();
    await recordDecision(trx, proposal, meta, { status: options.status, note: options.note, paymentId });
    await audit(trx, meta, {
      action: "reconciliation.linked",
      entity: { type: "reconciliation-proposal", id: proposal.id },
      metadata: {
        lineId,
        paymentId,
        confidence: Number(proposal.confidence),
        automatic: options.status === "auto-applied",
      },
    });
    return paymentId;
  }

  /** Receipts not recorded from a statement line and not matched to one yet, received from `from` on. */
  async function loadRecordedReceipts(trx: PaymentsDb, from: IsoDate): Promise<RecordedReceipt[]> {
    const rows = await trx
      .selectFrom("payments as p")
      .leftJoin("payer_profiles as pp", "pp.customer_id", "p.customer_id")
      .select([
        "p.id",
        "p.customer_id",
        "p.received_on",
        "p.amount_paise",
        "p.reference",
        "p.payer",
        "pp.name",
        "pp.aliases",
      ])
      .where("p.status", "=", "received")
      .where("p.source", "<>", "bank-statement")
      .where("p.customer_id", "is not", null)
      .where("p.received_on", ">=", from)
      .where((eb) =>
        eb.not(
          eb.exists(
            eb.selectFrom("bank_statement_lines as l").select("l.id").whereRef("l.payment_id", "=", "p.id"),
          ),
        ),
      )
      .orderBy("p.received_on")
      .orderBy("p.id")
      .execute();
    return rows.map((row) => {
      const payer = (row.payer ?? {}) as { name?: unknown };
      return {
        id: row.id,
        customerId: row.customer_id ?? "",
        receivedOn: row.received_on,
        amountPaise: row.amount_paise,
        reference: row.reference,
        names: [
          ...(typeof payer.name === "string" ? [payer.name] : []),
          ...(row.name ? [row.name] : []),
          ...(row.aliases ?? []),
        ],
      };
    });
  }

  async function insertLinkProposal(
    trx: PaymentsDb,
    meta: CommandMeta,
    runId: string,
    link: RecordedReceiptMatch,
  ): Promise<ProposalRow> {
    return trx
      .insertInto("reconciliation_proposals")
      .values({
        id: newId(),
        tenant_id: meta.tenantId,
        run_id: runId,
        line_id: link.lineId,
        customer_id: link.customerId,
        allocations: toJsonb([]),
        credit_paise: 0n,
        confidence: link.confidence.toFixed(4),
        reason: link.reason,
        evidence: toJsonb(link.evidence),
        flags: link.flags,
        auto_applicable: link.autoApplicable,
        alternatives: toJsonb([]),
        status: "proposed",
        payment_id: null,
        existing_payment_id: link.paymentId,
        batch_id: null,
        decided_at: null,
        decided_by: null,
        decision_note: null,
        created_at: clock(),
        version: 1,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  async function loadMatchingInput(trx: PaymentsDb) {
    const receivables = await trx
      .selectFrom("payment_receivables")
      .selectAll()
      .where("open_paise", ">", 0n)
      .orderBy("invoice_id")
      .execute();
    const profiles = await trx.selectFrom("payer_profiles").selectAll().execute();
    const customers = new Map<string, MatchableCustomer>();
    for (const profile of profiles) {
      const tdsProfile = profile.tds_profile as TdsProfile | null;
      const plainAccounts = profile.account_numbers.filter((account) => !isEncryptedValue(account));
      customers.set(profile.customer_id, {
        id: profile.customer_id,
        name: profile.name,
        ...(profile.aliases.length > 0 ? { aliases: profile.aliases } : {}),
        ...(profile.vpas.length > 0 ? { vpas: profile.vpas } : {}),
        // Encrypted numbers are matched by their blind indexes; plaintext ones (rows written before
        // encryption) as they are.
        ...(plainAccounts.length > 0 ? { accountNumbers: plainAccounts } : {}),
        ...(profile.account_number_index.length > 0 ? { accountIndexes: profile.account_number_index } : {}),
        ...(tdsProfile ? { tdsProfile } : {}),
      });
    }
    const invoices: MatchableInvoice[] = receivables.map((row) => {
      if (!customers.has(row.customer_id)) {
        customers.set(row.customer_id, { id: row.customer_id, name: row.customer_name ?? "" });
      }
      return {
        id: row.invoice_id,
        number: row.invoice_number,
        customerId: row.customer_id,
        totalPaise: row.total_paise,
        openPaise: row.open_paise,
        taxableValuePaise: row.taxable_value_paise,
        issueDate: row.issue_date,
        dueDate: row.due_date,
        ...(row.contract_value_paise !== null ? { contractValuePaise: row.contract_value_paise } : {}),
        interState: row.inter_state,
      };
    });
    const links = await trx
      .selectFrom("payment_links")
      .select(["reference", "customer_id", "invoice_id"])
      .where("status", "in", ["active", "partially-paid"])
      .where("customer_id", "is not", null)
      .execute();
    const expectedReceipts: ExpectedReceipt[] = links.map((link) => ({
      reference: link.reference,
      customerId: link.customer_id ?? "",
      invoiceIds: link.invoice_id ? [link.invoice_id] : [],
    }));
    return { invoices, customers: [...customers.values()], expectedReceipts };
  }

  async function insertProposal(
    trx: PaymentsDb,
    meta: CommandMeta,
    runId: string,
    proposal: ReconciliationProposal,
    alternatives: ReconciliationProposal[],
  ): Promise<ProposalRow> {
    return trx
      .insertInto("reconciliation_proposals")
      .values({
        id: newId(),
        tenant_id: meta.tenantId,
        run_id: runId,
        line_id: proposal.lineId,
        customer_id: proposal.customerId,
        allocations: toJsonb(proposal.allocations),
        credit_paise: proposal.creditPaise,
        confidence: proposal.confidence.toFixed(4),
        reason: proposal.reason,
        evidence: toJsonb(proposal.evidence),
        flags: proposal.flags,
        auto_applicable: proposal.autoApplicable,
        alternatives: toJsonb(alternatives),
        status: "proposed",
        payment_id: null,
        batch_id: null,
        decided_at: null,
        decided_by: null,
        decision_note: null,
        created_at: clock(),
        version: 1,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  return {
    /**
     * Matches the tenant's unmatched credit lines against its open receivables and stores the proposals; with
     * `autoApply`, applies those the matcher calls auto-applicable at or above the tenant's threshold. One run
     * per tenant at a time; each auto-application is all-or-nothing on its own (a savepoint), so one receipt
     * that cannot be applied stays a proposal for a person.
     */
    runMatching(meta: CommandMeta, input: RunMatchingInput): Promise<RunMatchingResult> {
      return command(meta, "payments.run-matching", input, async (trx) => {
        await sql`select pg_advisory_xact_lock(${RUN_LOCK_CLASS}::int4, hashtext(${meta.tenantId}))`.execute(
          trx,
        );
        const settings = await readSettings(trx);
        let lineQuery = trx
          .selectFrom("bank_statement_lines as l")
          .selectAll("l")
          .where("l.status", "=", "unmatched")
          .where("l.direction", "=", "credit")
          .where("l.currency", "=", "INR")
          .where("l.reversal", "=", false)
          .where("l.amount_paise", ">", 0n);
        if (input.lineIds) {
          if (input.lineIds.length === 0) lineQuery = lineQuery.where(sql<boolean>`false`);
          else lineQuery = lineQuery.where("l.id", "in", input.lineIds);
        } else {
          // A line whose last proposal a person rejected waits until someone names it again.
          lineQuery = lineQuery.where((eb) =>
            eb.not(
              eb.exists(
                eb
                  .selectFrom("reconciliation_proposals as p")
                  .select("p.id")
                  .whereRef("p.line_id", "=", "l.id")
                  .where("p.status", "=", "rejected")
                  .where((inner) =>
                    inner.not(
                      inner.exists(
                        inner
                          .selectFrom("reconciliation_proposals as later")
                          .select("later.id")
                          .whereRef("later.line_id", "=", "p.line_id")
                          .whereRef("later.created_at", ">", "p.created_at"),
                      ),
                    ),
                  ),
              ),
            ),
          );
        }
        const lineRows = await lineQuery.orderBy("l.booking_date").orderBy("l.id").execute();
        if (lineRows.length > 0) {
          await trx
            .updateTable("reconciliation_proposals")
            .set({ status: "superseded" })
            .where("status", "=", "proposed")
            .where(
              "line_id",
              "in",
              lineRows.map((row) => row.id),
            )
            .execute();
        }
        const { invoices, customers, expectedReceipts } = await loadMatchingInput(trx);
        const allLines: ReconciliationLine[] = lineRows.map((row) => {
          const stored = (row.counterparty ?? {}) as { accountIndex?: string };
          const counterparty = accounts.openCounterparty(row.id, stored) as {
            name?: string;
            vpa?: string;
            account?: string;
          };
          return {
            id: row.id,
            date: row.value_date ?? row.booking_date,
            amountPaise: row.amount_paise,
            narration: row.narration,
            ...(row.utr ? { utr: row.utr } : {}),
            references: [row.bank_reference, row.customer_reference].filter(
              (reference): reference is string => reference !== null,
            ),
            ...(counterparty.name ? { payerName: counterparty.name } : {}),
            ...(counterparty.vpa ? { payerVpa: counterparty.vpa } : {}),
            ...(counterparty.account ? { payerAccount: counterparty.account } : {}),
            ...(stored.accountIndex
              ? { payerAccountIndex: stored.accountIndex }
              : counterparty.account && accounts.enabled
                ? { payerAccountIndex: accounts.index(meta.tenantId, counterparty.account) }
                : {}),
          };
        });
        // Money already recorded as a receipt is linked to it, never proposed as a receipt of its own.
        const earliest = allLines.reduce<IsoDate | undefined>(
          (min, line) => (min === undefined || line.date < min ? line.date : min),
          undefined,
        );
        const links =
          earliest === undefined
            ? []
            : matchRecordedReceipts({
                lines: allLines.map((line) => ({
                  id: line.id,
                  date: line.date,
                  amountPaise: line.amountPaise,
                  narration: line.narration,
                  ...(line.utr ? { utr: line.utr } : {}),
                  ...(line.references ? { references: line.references } : {}),
                  ...(line.payerName ? { payerName: line.payerName } : {}),
                })),
                receipts: await loadRecordedReceipts(trx, addDays(earliest, -RECORDED_RECEIPT_LOOKBACK_DAYS)),
              });
        const linkedLines = new Set(links.map((link) => link.lineId));
        const lines = allLines.filter((line) => !linkedLines.has(line.id));
        const result = matchReconciliation({
          lines,
          invoices,
          customers,
          expectedReceipts,
          settings: {
            autoApplyThreshold: settings.autoApplyThreshold,
            shortPaymentTolerance: settings.tolerance,
            payeeKind: settings.payeeKind,
          },
        });
        const runId = newId();
        await trx
          .insertInto("reconciliation_runs")
          .values({
            id: runId,
            tenant_id: meta.tenantId,
            started_at: clock(),
            started_by: meta.actor,
            line_count: allLines.length,
            invoice_count: invoices.length,
            proposed_count: result.proposedCount + links.length,
            auto_applied_count: 0,
            unmatched_count: result.unmatchedCount,
            auto_apply_threshold: settings.autoApplyThreshold.toFixed(3),
          })
          .execute();
        const stored: ProposalRow[] = [];
        const toApply: ProposalRow[] = [];
        for (const link of links) {
          const row = await insertLinkProposal(trx, meta, runId, link);
          stored.push(row);
          if (input.autoApply && link.autoApplicable && link.confidence >= settings.autoApplyThreshold) {
            toApply.push(row);
          }
        }
        for (const match of result.matches) {
          if (!match.proposal) continue;
          const row = await insertProposal(trx, meta, runId, match.proposal, match.alternatives);
          stored.push(row);
          if (
            input.autoApply &&
            match.proposal.autoApplicable &&
            match.proposal.confidence >= settings.autoApplyThreshold
          ) {
            toApply.push(row);
          }
        }
        let autoApplied = 0;
        const notApplied: RunMatchingResult["notApplied"] = [];
        for (const row of toApply) {
          await sql`savepoint reconciliation_apply`.execute(trx);
          try {
            await applyInTrx(trx, meta, row, { status: "auto-applied" });
            await sql`release savepoint reconciliation_apply`.execute(trx);
            autoApplied += 1;
          } catch (error) {
            await sql`rollback to savepoint reconciliation_apply`.execute(trx);
            if (!isAppError(error) || error.code === "INTERNAL") throw error;
            notApplied.push({ proposalId: row.id, reason: error.message });
            await trx
              .updateTable("reconciliation_proposals")
              .set({ decision_note: `not applied automatically: ${error.message}`.slice(0, 500) })
              .where("id", "=", row.id)
              .execute();
          }
        }
        await trx
          .updateTable("reconciliation_runs")
          .set({ auto_applied_count: autoApplied })
          .where("id", "=", runId)
          .execute();
        const firstIds = stored.slice(0, 100).map((row) => row.id);
        const views =
          firstIds.length === 0
            ? []
            : (await lineFacts(trx).where("p.id", "in", firstIds).execute()).map((row) =>
                toProposalView(row, row),
              );
        const order = new Map(firstIds.map((id, position) => [id, position]));
        views.sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
        return {
          runId,
          lineCount: allLines.length,
          invoiceCount: invoices.length,
          proposedCount: result.proposedCount + links.length,
          autoAppliedCount: autoApplied,
          unmatchedCount: result.unmatchedCount,
          autoApplyThreshold: settings.autoApplyThreshold,
          notApplied,
          proposals: views,
        };
      });
    },

    /** A person's decision on a proposal: accept (optionally with changes), reject, or undo an applied one. */
    decide(meta: CommandMeta, input: ApplyProposalInput): Promise<DecisionResult> {
      return command(meta, "payments.apply-proposal", input, async (trx) => {
        const proposal = await trx
          .selectFrom("reconciliation_proposals")
          .selectAll()
          .where("id", "=", input.proposalId)
          .forUpdate()
          .executeTakeFirst();
        if (!proposal) throw AppError.notFound("reconciliation proposal", input.proposalId);
        const done = { accept: "accepted", reject: "rejected", undo: "undone" }[input.decision];
        const refuse = (expected: string) =>
          AppError.conflict(
            `the proposal is ${proposal.status}; only a ${expected} proposal can be ${done}`,
            {
              proposalId: proposal.id,
              status: proposal.status,
            },
          );
        let paymentId: string | null = proposal.payment_id;
        if (input.decision === "accept") {
          if (proposal.status !== "proposed") throw refuse("proposed");
          paymentId = await applyInTrx(trx, meta, proposal, {
            status: "accepted",
            ...(input.override ? { override: input.override } : {}),
            ...(input.note ? { note: input.note } : {}),
          });
        } else if (input.decision === "reject") {
          if (proposal.status !== "proposed") throw refuse("proposed");
          await recordDecision(trx, proposal, meta, { status: "rejected", note: input.note });
          await audit(trx, meta, {
            action: "reconciliation.rejected",
            entity: { type: "reconciliation-proposal", id: proposal.id },
            metadata: { lineId: proposal.line_id, ...(input.note ? { note: input.note } : {}) },
          });
        } else {
          if (proposal.status !== "auto-applied" && proposal.status !== "accepted") {
            throw refuse("applied");
          }
          if (!proposal.payment_id) throw refuse("applied");
          // A line linked to a receipt recorded before it is only unlinked: the receipt itself stands.
          if (!proposal.existing_payment_id) {
            await payments.reverseInTrx(trx, meta, {
              paymentId: proposal.payment_id,
              reason: "entered-in-error",
              note: input.note ?? "reconciliation match undone",
            });
          }
          await trx
            .updateTable("bank_statement_lines")
            .set({ status: "unmatched", payment_id: null })
            .where("id", "=", proposal.line_id)
            .execute();
          await recordDecision(trx, proposal, meta, { status: "undone", note: input.note });
          await audit(trx, meta, {
            action: "reconciliation.undone",
            entity: { type: "reconciliation-proposal", id: proposal.id },
            metadata: { lineId: proposal.line_id, paymentId: proposal.payment_id },
          });
        }
        return { proposal: await proposalView(trx, proposal.id), paymentId };
      });
    },

    get: (tenantId: string, proposalId: string): Promise<ProposalView> =>
      inTenant(tenantId, (trx) => proposalView(trx, proposalId)),

    list(
      tenantId: string,
      query: {
        limit: number;
        cursor?: string | undefined;
        status?: string | undefined;
        runId?: string | undefined;
      },
    ): Promise<Page<ProposalView>> {
      const cursor = readCursor(query.cursor, "instant");
      return inTenant(tenantId, async (trx) => {
        let select = lineFacts(trx);
        if (query.status) select = select.where("p.status", "=", query.status);
        if (query.runId) select = select.where("p.run_id", "=", query.runId);
        if (cursor) {
          select = select.where(
            sql<boolean>`(p.created_at, p.id) > (${new Date(String(cursor.after))}, ${cursor.id}::uuid)`,
          );
        }
        const rows = await select
          .orderBy("p.created_at")
          .orderBy("p.id")
          .limit(query.limit + 1)
          .execute();
        const page = toPage(rows, query.limit, (row) => ({
          after: row.created_at.toISOString(),
          id: row.id,
        }));
        return { items: page.items.map((row) => toProposalView(row, row)), nextCursor: page.nextCursor };
      });
    },
  };
}
