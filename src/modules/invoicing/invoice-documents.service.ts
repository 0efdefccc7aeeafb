import { randomUUID } from "node:crypto";
import { AppError } from "../../kernel/app-error.ts";
import { buildEinvoicePayload } from "./einvoice/einvoice.builder.ts";
import { validateEinvoicePayload } from "./einvoice/einvoice.validator.ts";
import { computeIrn } from "./einvoice/irn.ts";
import { buildDraft, type DraftFields } from "./invoice-draft.builder.ts";
import { amountsView } from "./invoice.repository.ts";
import type { Invoice } from "./invoice.schemas.ts";
import { verificationContextOf } from "./invoice.service.ts";
import { verifyInvoice, type Finding } from "./invoice.verifier.ts";
import { parseWith } from "./zod-issues.ts";
import {
  INVOICE_DRAFT_FIELDS,
  ZInvoiceDraftInput,
  type EinvoiceView,
  type InvoiceDraftInput,
  type VerificationView,
} from "./invoice.views.ts";
import { loadSettings } from "./invoicing-settings.repository.ts";
import type { InvoicingDb } from "./invoicing.tables.ts";
import { createUnitOfWork, type InvoicingDeps, type UnitOfWork } from "./invoicing.unit-of-work.ts";
import { renderInvoicePdf, type InvoiceCopy } from "./pdf/invoice-pdf.renderer.ts";
import type { InvoicePdfLanguage } from "./pdf/invoice-pdf.labels.ts";
import { calculateInvoiceTax, toDocumentAmounts } from "./tax.calculator.ts";

export interface RenderedPdf {
  invoiceId: string;
  fileName: string;
  contentType: "application/pdf";
  pageCount: number;
  bytes: Buffer;
}

function report(findings: Finding[], invoice: Invoice): VerificationView {
  let amounts: VerificationView["amounts"] = null;
  try {
    amounts = amountsView(toDocumentAmounts(calculateInvoiceTax({ invoice })));
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
  }
  const errors = findings.filter((finding) => finding.severity === "error").length;
  return {
    ok: errors === 0,
    errors,
    warnings: findings.filter((finding) => finding.severity === "warning").length,
    findings: findings.map(
      (finding) => JSON.parse(JSON.stringify(finding)) as VerificationView["findings"][number],
    ),
    amounts,
  };
}

/** "INV/2025-26/001" -> "INV-2025-26-001.pdf". */
export function pdfFileName(number: string, language: InvoicePdfLanguage): string {
  return `${number.replace(/\//g, "-")}${language === "en" ? "" : `.${language}`}.pdf`;
}

/** Documents made from invoices: the verification report, the printed PDF and the e-invoice request. */
export function createDocumentService(deps: InvoicingDeps, unitOfWork: UnitOfWork = createUnitOfWork(deps)) {
  const { inTenant, requireInvoice, clock } = unitOfWork;

  async function verifyIn(
    trx: InvoicingDb,
    invoice: Invoice,
    extra: Finding[] = [],
  ): Promise<VerificationView> {
    const settings = await loadSettings(trx);
    const context = await verificationContextOf(trx, settings, invoice);
    const verified = verifyInvoice({ invoice, context });
    return report([...verified.findings, ...extra], invoice);
  }

  return {
    /** Verifies a stored invoice (the rules of `invoicing.verify`, with the organisation's settings). */
    async verifyInvoiceById(tenantId: string, invoiceId: string): Promise<VerificationView> {
      return inTenant(tenantId, async (trx) => {
        const record = await requireInvoice(trx, invoiceId);
        return verifyIn(trx, record.invoice);
      });
    },

    /** Verifies an invoice that is not stored, e.g. before creating it; a bad shape is INVALID_INPUT. */
    async verifyDraft(tenantId: string, raw: InvoiceDraftInput): Promise<VerificationView> {
      const input = parseWith(ZInvoiceDraftInput, raw);
      return inTenant(tenantId, async (trx) => {
        const settings = await loadSettings(trx);
        const fields = Object.fromEntries(
          INVOICE_DRAFT_FIELDS.flatMap((key) => (input[key] !== undefined ? [[key, input[key]]] : [])),
        ) as DraftFields;
        const draft = buildDraft({ id: randomUUID(), fields, settings });
        const extra: Finding[] = [];
        if (input.totalPaise !== undefined && BigInt(input.totalPaise) !== draft.tax.totalPaise) {
          extra.push({
            rule: "total-mismatch",
            severity: "error",
            field: "totalPaise",
            message: `the total given is ${input.totalPaise} paise but the lines compute to ${draft.tax.totalPaise.toString()}`,
            fix: "Recompute the invoice total.",
          });
        }
        return verifyIn(trx, { ...draft.invoice, amounts: undefined }, extra);
      });
    },

    /** The invoice as a PDF in English or Hindi (rule 46 particulars; IRN and QR code when recorded). */
    async renderPdf(
      tenantId: string,
      input: { invoiceId: string; language: InvoicePdfLanguage; copy?: InvoiceCopy },
    ): Promise<RenderedPdf> {
      const record = await inTenant(tenantId, (trx) => requireInvoice(trx, input.invoiceId));
      const rendered = await renderInvoicePdf({
        invoice: record.invoice,
        language: input.language,
        generatedAt: clock(),
        ...(input.copy !== undefined ? { copy: input.copy } : {}),
      });
      return {
        invoiceId: record.invoice.id,
        fileName: pdfFileName(record.invoice.number, input.language),
        contentType: "application/pdf",
        pageCount: rendered.pageCount,
        bytes: rendered.bytes,
      };
    },

    /** The IRP request (schema 1.1) for an invoice, its IRN and what the IRP would refuse in it. */
    async einvoice(tenantId: string, invoiceId: string): Promise<EinvoiceView> {
      const record = await inTenant(tenantId, (trx) => requireInvoice(trx, invoiceId));
      const { invoice } = record;
      const payload = buildEinvoicePayload({ invoice });
      const violations = validateEinvoicePayload(payload, { strictGstin: true });
      return {
        invoiceId: invoice.id,
        irn: computeIrn({
          supplierGstin: invoice.supplier.gstin,
          financialYear: record.financialYear,
          documentType: "INV",
          documentNumber: invoice.number,
        }),
        recordedIrn: invoice.einvoice?.irn ?? null,
        payload: JSON.parse(JSON.stringify(payload)) as Record<string, unknown>,
        valid: violations.every((violation) => violation.severity !== "error"),
        violations: violations.map((violation) => ({ ...violation })),
      };
    },
  };
}

export type DocumentService = ReturnType<typeof createDocumentService>;
