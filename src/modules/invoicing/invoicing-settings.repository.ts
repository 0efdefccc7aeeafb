import type { Paise } from "../../kernel/money.ts";
import type { SupplierMsmeProfile } from "./due-date.calculator.ts";
import type { Supplier } from "./invoice.schemas.ts";
import type { SettingsView } from "./invoice.views.ts";
import type { InvoicingDb } from "./invoicing.tables.ts";

/** Per-tenant defaults of invoicing: the supplier printed on invoices and the facts verification needs. */
export interface InvoicingSettings {
  supplier: Supplier | null;
  supplierMsme: SupplierMsmeProfile | null;
  precedingYearTurnoverPaise: Paise | null;
  highestTurnoverSince2017Paise: Paise | null;
  einvoiceExempt: boolean;
  /** How many days before the due date an invoice counts as due soon. */
  dueSoonDays: number;
  /** 0 while nothing is stored. */
  version: number;
}

export const DEFAULT_SETTINGS: InvoicingSettings = {
  supplier: null,
  supplierMsme: null,
  precedingYearTurnoverPaise: null,
  highestTurnoverSince2017Paise: null,
  einvoiceExempt: false,
  dueSoonDays: 3,
  version: 0,
};

export async function loadSettings(
  trx: InvoicingDb,
  options: { forUpdate?: boolean } = {},
): Promise<InvoicingSettings> {
  let query = trx.selectFrom("invoicing_settings").selectAll();
  if (options.forUpdate === true) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  if (!row) return DEFAULT_SETTINGS;
  return {
    supplier: (row.supplier as Supplier | null) ?? null,
    supplierMsme: (row.supplier_msme as SupplierMsmeProfile | null) ?? null,
    precedingYearTurnoverPaise: row.preceding_year_turnover_paise,
    highestTurnoverSince2017Paise: row.highest_turnover_since_2017_paise,
    einvoiceExempt: row.einvoice_exempt,
    dueSoonDays: row.due_soon_days,
    version: row.version,
  };
}

export async function saveSettings(
  trx: InvoicingDb,
  tenantId: string,
  settings: InvoicingSettings,
  at: Date,
): Promise<void> {
  const values = {
    supplier: settings.supplier === null ? null : JSON.stringify(settings.supplier),
    supplier_msme: settings.supplierMsme === null ? null : JSON.stringify(settings.supplierMsme),
    preceding_year_turnover_paise: settings.precedingYearTurnoverPaise,
    highest_turnover_since_2017_paise: settings.highestTurnoverSince2017Paise,
    einvoice_exempt: settings.einvoiceExempt,
    due_soon_days: settings.dueSoonDays,
    version: settings.version,
    updated_at: at,
  };
  await trx
    .insertInto("invoicing_settings")
    .values({ tenant_id: tenantId, ...values })
    .onConflict((conflict) => conflict.column("tenant_id").doUpdateSet(values))
    .execute();
}

export function toSettingsView(settings: InvoicingSettings): SettingsView {
  return {
    supplier:
      settings.supplier === null
        ? null
        : (JSON.parse(JSON.stringify(settings.supplier)) as SettingsView["supplier"]),
    supplierMsme: settings.supplierMsme === null ? null : { ...settings.supplierMsme },
    precedingYearTurnoverPaise: settings.precedingYearTurnoverPaise?.toString() ?? null,
    highestTurnoverSince2017Paise: settings.highestTurnoverSince2017Paise?.toString() ?? null,
    einvoiceExempt: settings.einvoiceExempt,
    dueSoonDays: settings.dueSoonDays,
    version: settings.version,
  };
}
