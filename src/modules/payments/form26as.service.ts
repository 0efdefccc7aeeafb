import { createHash } from "node:crypto";
import { z } from "zod";
import { AppError } from "../../kernel/app-error.ts";
import type { CommandMeta } from "../../platform/audit/command-actor.ts";
import type { TdsQuarter } from "./calendar-date.ts";
import { parseWith } from "./field-issues.ts";
import {
  parseForm26asCsv,
  ZForm26asMapping,
  type BookingStatus,
  type Form26asCredit,
  type Form26asMapping,
} from "./form26as.parser.ts";
import {
  describeForm26asReport,
  reconcileForm26as,
  type Form26asReconciliation,
} from "./form26as.reconciler.ts";
import { toTdsEntry } from "./payment.repository.ts";
import { readSettings } from "./payment-settings.service.ts";
import type { Import26asInput, Reconcile26asInput } from "./payments.schemas.ts";
import { toJsonb, type PaymentsDb } from "./payments.tables.ts";
import { createUnitOfWork, type PaymentsDeps, type UnitOfWork } from "./payments.unit-of-work.ts";
import { money, ZMoneyText } from "./payments.views.ts";
import type { TdsNature, TdsSection } from "./tds-rates.data.ts";

const ZQuarter = z.enum(["Q1", "Q2", "Q3", "Q4"]);

export const ZForm26asImportResult = z.object({
  importId: z.string(),
  creditCount: z.number().int(),
  financialYears: z.array(z.string()),
  /** Credits of the same financial years from an earlier download, replaced by this one. */
  replacedCount: z.number().int(),
});
export type Form26asImportResult = z.infer<typeof ZForm26asImportResult>;

const ZGroup = z.object({
  tan: z.string(),
  section: z.string(),
  customerId: z.string().nullable(),
  deductorName: z.string().nullable(),
});

export const ZForm26asReportView = z.object({
  asOf: z.string(),
  quarters: z.array(
    z.object({
      financialYear: z.string(),
      quarter: ZQuarter,
      returnDueDate: z.string(),
      matched: z.array(
        ZGroup.extend({
          claimedPaise: ZMoneyText,
          creditedPaise: ZMoneyText,
          differencePaise: ZMoneyText,
          note: z.string().nullable(),
        }),
      ),
      claimedNotCredited: z.array(ZGroup.extend({ claimedPaise: ZMoneyText, overdue: z.boolean() })),
      creditedNotClaimed: z.array(ZGroup.extend({ creditedPaise: ZMoneyText, unmatchedPaise: ZMoneyText })),
      amountDifferences: z.array(
        ZGroup.extend({
          claimedPaise: ZMoneyText,
          creditedPaise: ZMoneyText,
          differencePaise: ZMoneyText,
          overdue: z.boolean(),
        }),
      ),
      /** One sentence per problem, for a person. */
      problems: z.array(z.string()),
    }),
  ),
  unresolvedClaims: z.array(
    z.object({
      customerId: z.string().nullable(),
      section: z.string(),
      financialYear: z.string(),
      quarter: ZQuarter,
      claimedPaise: ZMoneyText,
    }),
  ),
  missingCredits: z.array(
    z.object({
      customerId: z.string().nullable(),
      tan: z.string().nullable(),
      section: z.string(),
      financialYear: z.string(),
      quarter: ZQuarter,
      claimedPaise: ZMoneyText,
      creditedPaise: ZMoneyText,
      missingPaise: ZMoneyText,
      returnDueDate: z.string(),
    }),
  ),
  /** `tds.credit-missing` events published by this reconciliation (a gap already reported is not reported again). */
  reportedCount: z.number().int(),
});
export type Form26asReportView = z.infer<typeof ZForm26asReportView>;

export const ZForm26asMappingView = z.object({
  name: z.string(),
  mapping: z.record(z.string(), z.unknown()),
  updatedAt: z.string(),
});
export type Form26asMappingView = z.infer<typeof ZForm26asMappingView>;

function toView(report: Form26asReconciliation, asOf: string, reportedCount: number): Form26asReportView {
  const group = (value: {
    tan: string;
    section: TdsSection;
    customerId?: string;
    deductorName?: string;
  }) => ({
    tan: value.tan,
    section: value.section,
    customerId: value.customerId ?? null,
    deductorName: value.deductorName ?? null,
  });
  return {
    asOf,
    quarters: report.quarters.map((quarter) => ({
      financialYear: quarter.financialYear,
      quarter: quarter.quarter,
      returnDueDate: quarter.returnDueDate,
      matched: quarter.matched.map((match) => ({
        ...group(match.claim),
        claimedPaise: money(match.claim.claimedPaise),
        creditedPaise: money(match.credit.creditedPaise),
        differencePaise: money(match.differencePaise),
        note: match.note ?? null,
      })),
      claimedNotCredited: quarter.claimedNotCredited.map((claim) => ({
        ...group(claim),
        claimedPaise: money(claim.claimedPaise),
        overdue: claim.overdue,
      })),
      creditedNotClaimed: quarter.creditedNotClaimed.map((credit) => ({
        ...group(credit),
        creditedPaise: money(credit.creditedPaise),
        unmatchedPaise: money(credit.unmatchedPaise),
      })),
      amountDifferences: quarter.amountDifferences.map((difference) => ({
        ...group(difference.claim),
        claimedPaise: money(difference.claim.claimedPaise),
        creditedPaise: money(difference.credit.creditedPaise),
        differencePaise: money(difference.differencePaise),
        overdue: difference.overdue,
      })),
      problems: describeForm26asReport(quarter),
    })),
    unresolvedClaims: report.unresolvedClaims.map((claim) => ({
      customerId: claim.customerId ?? null,
      section: claim.section,
      financialYear: claim.financialYear,
      quarter: claim.quarter,
      claimedPaise: money(claim.claimedPaise),
    })),
    missingCredits: report.missingCredits.map((item) => ({
      customerId: item.customerId ?? null,
      tan: item.tan ?? null,
      section: item.section,
      financialYear: item.financialYear,
      quarter: item.quarter,
      claimedPaise: money(item.claimedPaise),
      creditedPaise: money(item.creditedPaise),
      missingPaise: money(item.missingPaise),
      returnDueDate: item.returnDueDate,
    })),
    reportedCount,
  };
}

export type Form26asService = ReturnType<typeof createForm26asService>;

/**
 * Form 26AS: credits imported with a saved column mapping (the whole file or nothing), reconciled against the
 * TDS-receivable ledger per deductor, section and quarter, and overdue gaps announced as `tds.credit-missing`
 * once per gap (again only when the missing amount changes).
 */
export function createForm26asService(deps: PaymentsDeps, unitOfWork: UnitOfWork = createUnitOfWork(deps)) {
  const { clock, newId, today, inTenant, command, publish, audit } = unitOfWork;

  async function saveMappingInTrx(trx: PaymentsDb, tenantId: string, name: string, mapping: Form26asMapping) {
    const row = await trx
      .insertInto("form26as_mappings")
      .values({ tenant_id: tenantId, name, mapping: toJsonb(mapping), updated_at: clock() })
      .onConflict((conflict) =>
        conflict
          .columns(["tenant_id", "name"])
          .doUpdateSet({ mapping: toJsonb(mapping), updated_at: clock() }),
      )
      .returningAll()
      .executeTakeFirstOrThrow();
    return {
      name: row.name,
      mapping: row.mapping as Record<string, unknown>,
      updatedAt: row.updated_at.toISOString(),
    };
  }

  async function compute(trx: PaymentsDb, input: Reconcile26asInput) {
    const asOf = input.asOf ?? today();
    const settings = await readSettings(trx);
    let claimQuery = trx
      .selectFrom("tds_receivable_entries")
      .selectAll()
      .where("kind", "=", "income-tax")
      .where("status", "<>", "cancelled");
    if (input.financialYear) claimQuery = claimQuery.where("financial_year", "=", input.financialYear);
    const claimRows = await claimQuery.orderBy("entry_date").orderBy("id").execute();
    let creditQuery = trx.selectFrom("form26as_credits").selectAll();
    if (input.financialYear) creditQuery = creditQuery.where("financial_year", "=", input.financialYear);
    const creditRows = await creditQuery.orderBy("row_number").execute();
    const credits: Form26asCredit[] = creditRows.map((row) => ({
      rowNumber: row.row_number,
      deductorName: row.deductor_name,
      tan: row.tan,
      sectionCode: row.section_code,
      ...(row.section ? { section: row.section as TdsSection } : {}),
      ...(row.nature ? { nature: row.nature as TdsNature } : {}),
      transactionDate: row.transaction_date,
      financialYear: row.financial_year,
      quarter: row.quarter as TdsQuarter,
      amountPaidPaise: row.amount_paid_paise,
      taxDeductedPaise: row.tax_deducted_paise,
      ...(row.tax_deposited_paise !== null ? { taxDepositedPaise: row.tax_deposited_paise } : {}),
      bookingStatus: row.booking_status as BookingStatus,
    }));
    const profiles = await trx.selectFrom("payer_profiles").select(["customer_id", "name", "tan"]).execute();
    const report = reconcileForm26as({
      claims: claimRows.map(toTdsEntry),
      credits,
      deductors: profiles.map((profile) => ({
        customerId: profile.customer_id,
        name: profile.name,
        ...(profile.tan ? { tan: profile.tan } : {}),
      })),
      asOf,
      graceDays: settings.tdsGraceDays,
    });
    return { asOf, report };
  }

  return {
    saveMapping(
      meta: CommandMeta,
      input: { name: string; mapping: Form26asMapping },
    ): Promise<Form26asMappingView> {
      return command(meta, "payments.save-26as-mapping", input, async (trx) => {
        const mapping = parseWith(ZForm26asMapping, input.mapping, "mapping");
        return saveMappingInTrx(trx, meta.tenantId, input.name, mapping);
      });
    },

    listMappings: (tenantId: string): Promise<Form26asMappingView[]> =>
      inTenant(tenantId, async (trx) =>
        (await trx.selectFrom("form26as_mappings").selectAll().orderBy("name").execute()).map((row) => ({
          name: row.name,
          mapping: row.mapping as Record<string, unknown>,
          updatedAt: row.updated_at.toISOString(),
        })),
      ),

    /** Imports a Form 26AS / AIS export: every row valid or nothing written (each bad cell named). */
    importCredits(meta: CommandMeta, input: Import26asInput): Promise<Form26asImportResult> {
      return command(meta, "payments.import-26as", input, async (trx) => {
        let mapping: Form26asMapping;
        if (input.mapping) {
          mapping = input.mapping;
        } else {
          const saved = await trx
            .selectFrom("form26as_mappings")
            .select("mapping")
            .where("name", "=", input.mappingName ?? "")
            .executeTakeFirst();
          if (!saved) {
            throw AppError.invalidInput([
              { field: "mappingName", reason: `no saved mapping is called "${input.mappingName ?? ""}"` },
            ]);
          }
          mapping = saved.mapping as Form26asMapping;
        }
        const credits = parseForm26asCsv({ text: input.content, mapping });
        if (input.mapping && input.saveAs)
          await saveMappingInTrx(trx, meta.tenantId, input.saveAs, input.mapping);
        const financialYears = [...new Set(credits.map((credit) => credit.financialYear))].sort();
        const importId = newId();
        await trx
          .insertInto("form26as_imports")
          .values({
            id: importId,
            tenant_id: meta.tenantId,
            file_name: input.fileName ?? null,
            file_sha256: createHash("sha256").update(input.content).digest("hex"),
            financial_years: financialYears,
            credit_count: credits.length,
            imported_at: clock(),
            imported_by: meta.actor,
          })
          .execute();
        const replaced =
          financialYears.length === 0
            ? []
            : await trx
                .deleteFrom("form26as_credits")
                .where("financial_year", "in", financialYears)
                .returning("id")
                .execute();
        for (let start = 0; start < credits.length; start += 500) {
          await trx
            .insertInto("form26as_credits")
            .values(
              credits.slice(start, start + 500).map((credit) => ({
                id: newId(),
                tenant_id: meta.tenantId,
                import_id: importId,
                row_number: credit.rowNumber,
                deductor_name: credit.deductorName,
                tan: credit.tan,
                section_code: credit.sectionCode,
                section: credit.section ?? null,
                nature: credit.nature ?? null,
                transaction_date: credit.transactionDate,
                financial_year: credit.financialYear,
                quarter: credit.quarter,
                amount_paid_paise: credit.amountPaidPaise,
                tax_deducted_paise: credit.taxDeductedPaise,
                tax_deposited_paise: credit.taxDepositedPaise ?? null,
                booking_status: credit.bookingStatus,
              })),
            )
            .execute();
        }
        await audit(trx, meta, {
          action: "tds.form26as-imported",
          entity: { type: "form26as-import", id: importId },
          metadata: { credits: credits.length, financialYears, replaced: replaced.length },
        });
        return { importId, creditCount: credits.length, financialYears, replacedCount: replaced.length };
      });
    },

    /**
     * Reconciles the ledger with the credits: entries of matched groups become `credited`, of groups whose
     * amounts differ `mismatch`, the rest stay `pending`; overdue gaps are announced once each.
     */
    reconcile(meta: CommandMeta, input: Reconcile26asInput): Promise<Form26asReportView> {
      return command(meta, "payments.reconcile-26as", input, async (trx) => {
        const { asOf, report } = await compute(trx, input);
        const setStatus = async (ids: string[], status: string) => {
          if (ids.length === 0) return;
          await trx.updateTable("tds_receivable_entries").set({ status }).where("id", "in", ids).execute();
        };
        for (const quarter of report.quarters) {
          await setStatus(
            quarter.matched.flatMap((match) => match.claim.entryIds),
            "credited",
          );
          await setStatus(
            quarter.amountDifferences.flatMap((difference) => difference.claim.entryIds),
            "mismatch",
          );
          await setStatus(
            quarter.claimedNotCredited.flatMap((claim) => claim.entryIds),
            "pending",
          );
        }
        let reported = 0;
        for (const item of report.missingCredits) {
          const tan = item.tan ?? "";
          const notice = await trx
            .selectFrom("tds_missing_notices")
            .selectAll()
            .where("tan", "=", tan)
            .where("section", "=", item.section)
            .where("financial_year", "=", item.financialYear)
            .where("quarter", "=", item.quarter)
            .forUpdate()
            .executeTakeFirst();
          if (notice && notice.missing_paise === item.missingPaise) continue;
          const eventId = newId();
          await publish(trx, meta.tenantId, {
            type: "tds.credit-missing",
            id: eventId,
            subject: `${tan}:${item.section}:${item.financialYear}:${item.quarter}`,
            data: item,
          });
          const values = { missing_paise: item.missingPaise, event_id: eventId, detected_on: asOf };
          await trx
            .insertInto("tds_missing_notices")
            .values({
              tenant_id: meta.tenantId,
              tan,
              section: item.section,
              financial_year: item.financialYear,
              quarter: item.quarter,
              ...values,
            })
            .onConflict((conflict) =>
              conflict
                .columns(["tenant_id", "tan", "section", "financial_year", "quarter"])
                .doUpdateSet(values),
            )
            .execute();
          reported += 1;
        }
        await audit(trx, meta, {
          action: "tds.form26as-reconciled",
          entity: { type: "tds-ledger", id: input.financialYear ?? "all" },
          metadata: { asOf, missing: report.missingCredits.length, reported },
        });
        return toView(report, asOf, reported);
      });
    },

    /** The reconciliation as of a day, per quarter, without changing anything. */
    report: (tenantId: string, input: Reconcile26asInput): Promise<Form26asReportView> =>
      inTenant(tenantId, async (trx) => {
        const { asOf, report } = await compute(trx, input);
        return toView(report, asOf, 0);
      }),
  };
}
