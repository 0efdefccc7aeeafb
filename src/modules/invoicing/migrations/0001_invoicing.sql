-- Invoicing (module 1): GST tax invoices, their lines, credit and debit notes, the settlements the payments
-- module reports, and due-date notices. Amounts are integer paise (bigint); dates are calendar dates. The
-- amounts are always computed by the application's tax calculator (src/modules/invoicing/tax.calculator.ts).

-- Per-tenant defaults: the supplier printed on invoices and the facts verification needs.
create table invoicing_settings (
  tenant_id uuid primary key references tenants (id) on delete cascade,
  supplier jsonb,
  -- The organisation's MSME status as a supplier (MSMED Act due dates): {category, udyamRegistered, isTrader}.
  supplier_msme jsonb,
  preceding_year_turnover_paise bigint check (preceding_year_turnover_paise >= 0),
  highest_turnover_since_2017_paise bigint check (highest_turnover_since_2017_paise >= 0),
  einvoice_exempt boolean not null default false,
  due_soon_days integer not null default 3 check (due_soon_days between 0 and 60),
  version integer not null default 1 check (version >= 1),
  updated_at timestamptz not null
);
alter table invoicing_settings enable row level security;
create policy tenant_isolation on invoicing_settings
  using (tenant_id = app_current_tenant()) with check (tenant_id = app_current_tenant());
revoke all on invoicing_settings from prapti_app;
grant select, insert, update on invoicing_settings to prapti_app;

create table invoices (
  id uuid primary key,
  tenant_id uuid not null references tenants (id) on delete cascade,
  -- CGST Rules rule 46(b): at most 16 letters, digits, '-' and '/', unique in a financial year.
  number text not null check (number ~ '^[A-Za-z0-9/-]{1,16}$'),
  financial_year text not null check (financial_year ~ '^[0-9]{4}-[0-9]{2}$'),
  issue_date date not null,
  supply_type text not null check (supply_type in ('B2B', 'B2C', 'SEZWP', 'SEZWOP', 'EXPWP', 'EXPWOP', 'DEXP')),
  reverse_charge boolean not null default false,
  place_of_supply text not null check (place_of_supply ~ '^[0-9]{2}$'),
  igst_on_intra boolean not null default false,
  supplier jsonb not null,
  supplier_gstin text not null,
  buyer jsonb not null,
  buyer_name text not null,
  buyer_gstin text,
  -- The customers module's record, referenced by id only (modules own their tables).
  customer_id uuid,
  ship_to jsonb,
  export_details jsonb,
  credit_days integer check (credit_days between 0 and 3650),
  terms_in_writing boolean,
  delivery_date date,
  -- Due dates: under the contract, under the MSMED Act (micro and small suppliers), and the one that applies.
  contractual_due_date date,
  statutory_due_date date,
  due_date date,
  due_date_basis text check (due_date_basis in ('explicit', 'contract', 'msmed-act')),
  round_total boolean not null default true,
  taxable_value_paise bigint not null check (taxable_value_paise >= 0),
  cgst_paise bigint not null default 0 check (cgst_paise >= 0),
  sgst_paise bigint not null default 0 check (sgst_paise >= 0),
  utgst_paise bigint not null default 0 check (utgst_paise >= 0),
  igst_paise bigint not null default 0 check (igst_paise >= 0),
  cess_paise bigint not null default 0 check (cess_paise >= 0),
  non_taxable_charges_paise bigint not null default 0 check (non_taxable_charges_paise >= 0),
  round_off_paise bigint not null default 0 check (round_off_paise between -50 and 50),
  total_paise bigint not null check (total_paise >= 0),
  status text not null check (status in ('draft', 'issued', 'partially_paid', 'paid', 'disputed', 'written_off', 'cancelled')),
  -- Settlement summary, kept by invoicing.apply-settlement and by notes: cash received, income-tax TDS and
  -- GST TDS withheld by the customer, and small differences written off when settling.
  paid_paise bigint not null default 0 check (paid_paise >= 0),
  tds_paise bigint not null default 0 check (tds_paise >= 0),
  gst_tds_paise bigint not null default 0 check (gst_tds_paise >= 0),
  settled_write_off_paise bigint not null default 0 check (settled_write_off_paise >= 0),
  credited_paise bigint not null default 0 check (credited_paise >= 0),
  debited_paise bigint not null default 0 check (debited_paise >= 0),
  outstanding_paise bigint generated always as (
    total_paise + debited_paise - credited_paise - paid_paise - tds_paise - gst_tds_paise - settled_write_off_paise
  ) stored,
  -- A bad debt written off (status written_off): what was outstanding then; a later recovery can still settle it.
  written_off_paise bigint not null default 0 check (written_off_paise >= 0),
  write_off_reason text,
  written_off_at timestamptz,
  dispute_reason text,
  disputed_at timestamptz,
  cancellation_reason text check (cancellation_reason in ('duplicate', 'data-entry-mistake', 'order-cancelled', 'other')),
  cancellation_remark text,
  cancelled_at timestamptz,
  irn text check (irn ~ '^[0-9a-f]{64}$'),
  irn_ack_number text,
  irn_ack_date text,
  irn_signed_qr_code text,
  issued_at timestamptz,
  paid_at timestamptz,
  notes text,
  external_source text,
  external_id text,
  version integer not null default 1 check (version >= 1),
  created_at timestamptz not null,
  updated_at timestamptz not null,
  created_by text not null,
  -- Settlements never exceed what the invoice and its debit notes ask for.
  check (paid_paise + tds_paise + gst_tds_paise + settled_write_off_paise <= total_paise + debited_paise),
  check ((external_source is null) = (external_id is null)),
  check ((credit_days is null) = (terms_in_writing is null))
);
create unique index invoices_number_unique on invoices (tenant_id, financial_year, upper(number));
create unique index invoices_external_unique on invoices (tenant_id, external_source, external_id)
  where external_source is not null;
create unique index invoices_irn_unique on invoices (tenant_id, irn) where irn is not null;
-- Overdue and due-soon lists: open invoices by due date.
create index invoices_status_due on invoices (tenant_id, status, due_date);
create index invoices_open_due on invoices (tenant_id, due_date, id)
  where status in ('issued', 'partially_paid', 'disputed');
create index invoices_customer on invoices (tenant_id, customer_id, issue_date);
create index invoices_buyer_gstin on invoices (tenant_id, buyer_gstin, issue_date);
create index invoices_issue_date on invoices (tenant_id, issue_date, id);
create index invoices_created on invoices (tenant_id, created_at, id);
create index invoices_buyer_name on invoices (tenant_id, lower(buyer_name));

alter table invoices enable row level security;
create policy tenant_isolation on invoices
  using (tenant_id = app_current_tenant()) with check (tenant_id = app_current_tenant());
revoke all on invoices from prapti_app;
grant select, insert, update on invoices to prapti_app;

create table invoice_lines (
  tenant_id uuid not null references tenants (id) on delete cascade,
  invoice_id uuid not null references invoices (id) on delete cascade,
  position integer not null check (position >= 0),
  description text not null,
  hsn_sac text check (hsn_sac ~ '^[0-9]{2,8}$'),
  is_service boolean,
  -- Decimal text with at most three decimals, exactly as the e-invoice carries it.
  quantity text not null check (quantity ~ '^[0-9]+(\.[0-9]{1,3})?$'),
  unit text,
  unit_price_paise bigint not null check (unit_price_paise >= 0),
  discount_paise bigint not null default 0 check (discount_paise >= 0),
  gst_rate_basis_points integer not null check (gst_rate_basis_points between 0 and 10000),
  cess_rate_basis_points integer not null default 0 check (cess_rate_basis_points between 0 and 50000),
  taxable_value_paise bigint not null,
  cgst_paise bigint not null default 0,
  sgst_paise bigint not null default 0,
  utgst_paise bigint not null default 0,
  igst_paise bigint not null default 0,
  cess_paise bigint not null default 0,
  total_paise bigint not null,
  primary key (invoice_id, position)
);
create index invoice_lines_tenant on invoice_lines (tenant_id, invoice_id);

alter table invoice_lines enable row level security;
create policy tenant_isolation on invoice_lines
  using (tenant_id = app_current_tenant()) with check (tenant_id = app_current_tenant());
revoke all on invoice_lines from prapti_app;
-- Lines of a draft are replaced when the draft is edited; issued invoices never change their lines.
grant select, insert, delete on invoice_lines to prapti_app;

-- Credit and debit notes (CGST s.34), each against one invoice.
create table invoice_notes (
  id uuid primary key,
  tenant_id uuid not null references tenants (id) on delete cascade,
  invoice_id uuid not null references invoices (id),
  kind text not null check (kind in ('credit', 'debit')),
  number text not null check (number ~ '^[A-Za-z0-9/-]{1,16}$'),
  financial_year text not null check (financial_year ~ '^[0-9]{4}-[0-9]{2}$'),
  issue_date date not null,
  reason text not null,
  round_total boolean not null default true,
  -- The note's lines as entered, with their computed amounts (paise as digit strings).
  lines jsonb not null check (jsonb_typeof(lines) = 'array'),
  taxable_value_paise bigint not null check (taxable_value_paise >= 0),
  cgst_paise bigint not null default 0,
  sgst_paise bigint not null default 0,
  utgst_paise bigint not null default 0,
  igst_paise bigint not null default 0,
  cess_paise bigint not null default 0,
  round_off_paise bigint not null default 0,
  total_paise bigint not null check (total_paise >= 0),
  -- False for a credit note issued after the s.34(2) deadline: it settles the amount but does not reduce tax.
  reduces_output_tax boolean not null,
  irn text check (irn ~ '^[0-9a-f]{64}$'),
  notes text,
  created_at timestamptz not null,
  created_by text not null
);
create unique index invoice_notes_number_unique on invoice_notes (tenant_id, kind, financial_year, upper(number));
create index invoice_notes_invoice on invoice_notes (tenant_id, invoice_id, issue_date);

alter table invoice_notes enable row level security;
create policy tenant_isolation on invoice_notes
  using (tenant_id = app_current_tenant()) with check (tenant_id = app_current_tenant());
revoke all on invoice_notes from prapti_app;
grant select, insert on invoice_notes to prapti_app;

-- What the payments module reported against an invoice, one row per settlement reference (its idempotency
-- key). A reversal is its own row (reference + ':reversal') with negative parts, pointing at the original.
create table invoice_settlements (
  id uuid primary key,
  tenant_id uuid not null references tenants (id) on delete cascade,
  invoice_id uuid not null references invoices (id),
  reference text not null check (length(reference) between 1 and 200),
  reverses_id uuid references invoice_settlements (id),
  cash_paise bigint not null,
  tds_paise bigint not null,
  gst_tds_paise bigint not null,
  write_off_paise bigint not null,
  applied_at timestamptz not null,
  actor text not null,
  unique (tenant_id, invoice_id, reference),
  check (
    (reverses_id is null and cash_paise >= 0 and tds_paise >= 0 and gst_tds_paise >= 0 and write_off_paise >= 0)
    or (reverses_id is not null and cash_paise <= 0 and tds_paise <= 0 and gst_tds_paise <= 0 and write_off_paise <= 0)
  )
);
create unique index invoice_settlements_one_reversal on invoice_settlements (reverses_id) where reverses_id is not null;
create index invoice_settlements_invoice on invoice_settlements (tenant_id, invoice_id, applied_at);

alter table invoice_settlements enable row level security;
create policy tenant_isolation on invoice_settlements
  using (tenant_id = app_current_tenant()) with check (tenant_id = app_current_tenant());
revoke all on invoice_settlements from prapti_app;
grant select, insert on invoice_settlements to prapti_app;

-- invoice.due-soon and invoice.overdue are published once per invoice, state and due date.
create table invoice_due_notices (
  tenant_id uuid not null references tenants (id) on delete cascade,
  invoice_id uuid not null references invoices (id),
  state text not null check (state in ('due-soon', 'overdue')),
  due_date date not null,
  as_of date not null,
  event_id text not null,
  notified_at timestamptz not null,
  primary key (tenant_id, invoice_id, state, due_date)
);

alter table invoice_due_notices enable row level security;
create policy tenant_isolation on invoice_due_notices
  using (tenant_id = app_current_tenant()) with check (tenant_id = app_current_tenant());
revoke all on invoice_due_notices from prapti_app;
grant select, insert on invoice_due_notices to prapti_app;

-- Commands already carried out, by the caller's idempotency key (see customer_command_keys).
create table invoicing_command_keys (
  tenant_id uuid not null references tenants (id) on delete cascade,
  key text not null check (length(key) between 1 and 300),
  command text not null,
  request_hash text not null,
  response jsonb,
  created_at timestamptz not null default now(),
  primary key (tenant_id, key)
);
create index invoicing_command_keys_age on invoicing_command_keys (created_at);

alter table invoicing_command_keys enable row level security;
create policy tenant_isolation on invoicing_command_keys
  using (tenant_id = app_current_tenant()) with check (tenant_id = app_current_tenant());
revoke all on invoicing_command_keys from prapti_app;
grant select, insert, update on invoicing_command_keys to prapti_app;
