-- Payments (module 3): receipts, their settlement against invoices (cash, income-tax TDS, GST TDS, write-off),
-- customer credit, the TDS-receivable ledger, Form 26AS credits, bank statements and reconciliation, payment
-- links and gateway webhooks. Payments keeps its own copy of what it needs about invoices and customers
-- (receivables, payer profiles); it never reads another module's tables. Money is bigint paise.

-- Every table below is tenant data: row-level security on app_current_tenant(), and the application role gets
-- only the privileges it needs.

-- Settlement settings of a tenant: short-payment tolerance, auto-apply threshold, our payee status, UPI payee.
create table payment_settings (
  tenant_id uuid primary key references tenants (id) on delete cascade,
  short_payment_max_paise bigint not null default 1000 check (short_payment_max_paise >= 0),
  short_payment_max_basis_points integer not null default 100
    check (short_payment_max_basis_points between 0 and 10000),
  short_payment_combine text not null default 'lower' check (short_payment_combine in ('lower', 'higher')),
  auto_apply_threshold numeric(4, 3) not null default 0.9 check (auto_apply_threshold between 0.5 and 1),
  payee_kind text not null default 'other' check (payee_kind in ('individual-or-huf', 'other')),
  upi_vpa text,
  upi_payee_name text,
  -- Days after a quarter's TDS return due date before a missing Form 26AS credit is reported.
  tds_grace_days integer not null default 0 check (tds_grace_days between 0 and 365),
  updated_at timestamptz not null,
  updated_by text not null
);

-- Gateway credentials per tenant. Secrets are stored encrypted (enc:v1:...) when the module has a field cipher;
-- see the module README.
create table payment_gateway_credentials (
  tenant_id uuid not null references tenants (id) on delete cascade,
  provider text not null check (provider in ('razorpay', 'cashfree')),
  key_id text not null check (length(key_id) between 1 and 200),
  key_secret text not null,
  webhook_secret text not null,
  updated_at timestamptz not null,
  updated_by text not null,
  primary key (tenant_id, provider)
);

-- What payments knows about a customer in order to recognise its money: names as banks print them, UPI
-- addresses and accounts it pays from, and its TDS profile (section, rate, TAN).
create table payer_profiles (
  tenant_id uuid not null references tenants (id) on delete cascade,
  customer_id uuid not null,
  name text not null check (length(trim(name)) > 0),
  aliases text[] not null default '{}',
  vpas text[] not null default '{}',
  account_numbers text[] not null default '{}',
  tds_profile jsonb,
  tan text check (tan ~ '^[A-Z]{4}[0-9]{5}[A-Z]$'),
  updated_at timestamptz not null,
  primary key (tenant_id, customer_id)
);

-- Payments' view of an invoice: what is still open on it. Fed by payments.register-receivable; changed only by
-- allocations and their reversals.
create table payment_receivables (
  tenant_id uuid not null references tenants (id) on delete cascade,
  invoice_id uuid not null,
  invoice_number text not null check (length(invoice_number) between 1 and 60),
  customer_id uuid not null,
  customer_name text,
  issue_date date not null,
  due_date date not null,
  total_paise bigint not null check (total_paise > 0),
  taxable_value_paise bigint not null check (taxable_value_paise >= 0 and taxable_value_paise <= total_paise),
  contract_value_paise bigint check (contract_value_paise >= 0),
  inter_state boolean not null default false,
  open_paise bigint not null check (open_paise >= 0 and open_paise <= total_paise),
  version integer not null default 1,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  primary key (tenant_id, invoice_id),
  check (due_date >= issue_date)
);
create index payment_receivables_open on payment_receivables (tenant_id, customer_id, due_date)
  where open_paise > 0;
create index payment_receivables_number on payment_receivables (tenant_id, invoice_number);

-- Receipts. `allocated_cash_paise` is what allocations took from the amount; the rest is the customer's credit.
create table payments (
  id uuid primary key,
  tenant_id uuid not null references tenants (id) on delete cascade,
  customer_id uuid,
  method text not null
    check (method in ('upi', 'neft', 'rtgs', 'imps', 'cheque', 'cash', 'card', 'netbanking', 'wallet', 'other')),
  reference text,
  payer jsonb not null default '{}'::jsonb,
  cheque jsonb,
  received_on date not null,
  received_at timestamptz,
  amount_paise bigint not null check (amount_paise > 0),
  allocated_cash_paise bigint not null default 0,
  status text not null default 'received' check (status in ('received', 'reversed', 'bounced')),
  reversal_reason text check (reversal_reason in ('cheque-bounced', 'chargeback', 'refund', 'entered-in-error')),
  reversed_on date,
  reversal_note text,
  source text not null check (source in ('manual', 'razorpay', 'cashfree', 'bank-statement', 'import')),
  -- The source's own id: gateway payment id, statement line fingerprint, import key.
  external_id text,
  payment_link_id uuid,
  note text,
  version integer not null default 1,
  created_at timestamptz not null,
  created_by text not null,
  updated_at timestamptz not null,
  check (allocated_cash_paise >= 0 and allocated_cash_paise <= amount_paise),
  check ((status = 'received') = (reversal_reason is null)),
  check ((status = 'received') = (reversed_on is null))
);
-- A bank or UPI reference identifies one transfer: recorded once per tenant (a reversed entry frees it).
create unique index payments_reference_unique on payments (tenant_id, reference)
  where reference is not null and method in ('upi', 'imps', 'neft', 'rtgs') and status = 'received';
create unique index payments_external_unique on payments (tenant_id, source, external_id)
  where external_id is not null and status = 'received';
create index payments_customer on payments (tenant_id, customer_id, received_on);
create index payments_listing on payments (tenant_id, received_on, id);
create index payments_created on payments (tenant_id, created_at, id);

-- Settlement of one invoice by one receipt. Rows are never changed: a reversal is a row of its own with the
-- parts negated, pointing at the allocation it cancels.
create table payment_allocations (
  id uuid primary key,
  tenant_id uuid not null references tenants (id) on delete cascade,
  payment_id uuid not null references payments (id),
  invoice_id uuid not null,
  customer_id uuid not null,
  -- The allocations made by one command, to be undone together.
  batch_id uuid not null,
  kind text not null check (kind in ('allocation', 'reversal')),
  reverses_id uuid unique references payment_allocations (id),
  allocated_on date not null,
  cash_paise bigint not null,
  income_tax_tds_paise bigint not null,
  gst_tds_paise bigint not null,
  write_off_paise bigint not null,
  settled_paise bigint not null,
  tds_section text,
  write_off_reason text,
  reason text,
  created_at timestamptz not null,
  created_by text not null,
  foreign key (tenant_id, invoice_id) references payment_receivables (tenant_id, invoice_id),
  check (settled_paise = cash_paise + income_tax_tds_paise + gst_tds_paise + write_off_paise),
  check (
    (kind = 'allocation' and reverses_id is null and cash_paise >= 0 and income_tax_tds_paise >= 0
      and gst_tds_paise >= 0 and write_off_paise >= 0 and settled_paise > 0)
    or (kind = 'reversal' and reverses_id is not null and cash_paise <= 0 and income_tax_tds_paise <= 0
      and gst_tds_paise <= 0 and write_off_paise <= 0 and settled_paise < 0)
  ),
  check (write_off_paise = 0 or write_off_reason is not null)
);
create index payment_allocations_payment on payment_allocations (tenant_id, payment_id);
create index payment_allocations_invoice on payment_allocations (tenant_id, invoice_id);
create index payment_allocations_batch on payment_allocations (tenant_id, batch_id);

-- Customer credit: every change to a customer's unallocated cash (receipt, allocation, allocation taken back,
-- receipt reversed). The balance per customer is the sum.
create table customer_credit_entries (
  id uuid primary key,
  tenant_id uuid not null references tenants (id) on delete cascade,
  customer_id uuid not null,
  payment_id uuid not null references payments (id),
  kind text not null check (kind in ('received', 'allocated', 'unallocated', 'reversed')),
  amount_paise bigint not null check (amount_paise <> 0),
  entry_date date not null,
  created_at timestamptz not null
);
create index customer_credit_entries_customer on customer_credit_entries (tenant_id, customer_id);

-- TDS receivable: what customers deducted and must deposit in our name (income tax, reconciled with Form
-- 26AS) or credit to our electronic cash ledger (GST TDS). Reversals carry the negated amount.
create table tds_receivable_entries (
  id uuid primary key,
  tenant_id uuid not null references tenants (id) on delete cascade,
  kind text not null check (kind in ('income-tax', 'gst')),
  customer_id uuid not null,
  section text,
  tan text,
  deductor_name text,
  entry_date date not null,
  financial_year text not null check (financial_year ~ '^[0-9]{4}-[0-9]{2}$'),
  quarter text not null check (quarter in ('Q1', 'Q2', 'Q3', 'Q4')),
  amount_paise bigint not null check (amount_paise <> 0),
  payment_id uuid not null references payments (id),
  allocation_id uuid not null references payment_allocations (id),
  invoice_id uuid not null,
  reverses_id uuid unique references tds_receivable_entries (id),
  status text not null default 'pending' check (status in ('pending', 'credited', 'mismatch', 'cancelled')),
  created_at timestamptz not null,
  check (kind = 'gst' or section is not null)
);
create index tds_receivable_entries_customer on tds_receivable_entries
  (tenant_id, customer_id, financial_year, quarter);
create index tds_receivable_entries_quarter on tds_receivable_entries (tenant_id, financial_year, quarter);

-- Saved Form 26AS / AIS column mappings, by name.
create table form26as_mappings (
  tenant_id uuid not null references tenants (id) on delete cascade,
  name text not null check (length(name) between 1 and 60),
  mapping jsonb not null,
  updated_at timestamptz not null,
  primary key (tenant_id, name)
);

create table form26as_imports (
  id uuid primary key,
  tenant_id uuid not null references tenants (id) on delete cascade,
  file_name text,
  file_sha256 text not null,
  financial_years text[] not null,
  credit_count integer not null,
  imported_at timestamptz not null,
  imported_by text not null
);

-- Credits as Form 26AS shows them. A new download covers whole financial years: importing it replaces the
-- credits of the years it contains.
create table form26as_credits (
  id uuid primary key,
  tenant_id uuid not null references tenants (id) on delete cascade,
  import_id uuid not null references form26as_imports (id),
  row_number integer not null,
  deductor_name text not null,
  tan text not null,
  section_code text not null,
  section text,
  nature text,
  transaction_date date not null,
  financial_year text not null,
  quarter text not null check (quarter in ('Q1', 'Q2', 'Q3', 'Q4')),
  amount_paid_paise bigint not null check (amount_paid_paise >= 0),
  tax_deducted_paise bigint not null check (tax_deducted_paise >= 0),
  tax_deposited_paise bigint,
  booking_status text not null check (booking_status in ('final', 'overbooked', 'provisional', 'unmatched'))
);
create index form26as_credits_year on form26as_credits (tenant_id, financial_year, quarter);

-- `tds.credit-missing` already announced, one per deductor, section and quarter; announced again only when
-- the missing amount changes.
create table tds_missing_notices (
  tenant_id uuid not null references tenants (id) on delete cascade,
  tan text not null,
  section text not null,
  financial_year text not null,
  quarter text not null,
  missing_paise bigint not null,
  event_id uuid not null,
  detected_on date not null,
  primary key (tenant_id, tan, section, financial_year, quarter)
);

-- Bank accounts whose statements are imported, with the saved CSV column mapping.
create table bank_accounts (
  id uuid primary key,
  tenant_id uuid not null references tenants (id) on delete cascade,
  name text not null check (length(trim(name)) between 1 and 100),
  -- The account as statements name it (MT940 :25:, camt account id, the CSV mapping's accountId).
  account_identifier text not null check (length(trim(account_identifier)) between 1 and 60),
  bank_name text,
  ifsc text,
  csv_mapping jsonb,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  unique (tenant_id, account_identifier)
);

create table bank_statements (
  id uuid primary key,
  tenant_id uuid not null references tenants (id) on delete cascade,
  bank_account_id uuid not null references bank_accounts (id),
  format text not null check (format in ('mt940', 'camt.052', 'camt.053', 'camt.054', 'csv')),
  file_name text,
  file_sha256 text not null,
  line_count integer not null,
  new_line_count integer not null,
  imported_at timestamptz not null,
  imported_by text not null,
  unique (tenant_id, bank_account_id, file_sha256)
);

-- Lines are identified by their fingerprint: importing a statement again (or an overlapping one) adds nothing.
create table bank_statement_lines (
  id uuid primary key,
  tenant_id uuid not null references tenants (id) on delete cascade,
  statement_id uuid not null references bank_statements (id),
  bank_account_id uuid not null references bank_accounts (id),
  fingerprint text not null,
  booking_date date not null,
  value_date date,
  direction text not null check (direction in ('credit', 'debit')),
  amount_paise bigint not null check (amount_paise >= 0),
  currency text not null,
  reversal boolean not null,
  bank_reference text,
  customer_reference text,
  utr text,
  channel text,
  narration text not null,
  counterparty jsonb not null default '{}'::jsonb,
  balance_after_paise bigint,
  status text not null default 'unmatched' check (status in ('unmatched', 'matched', 'ignored')),
  payment_id uuid references payments (id),
  unique (tenant_id, fingerprint),
  check ((status = 'matched') = (payment_id is not null))
);
create index bank_statement_lines_open on bank_statement_lines (tenant_id, status, booking_date)
  where direction = 'credit';
create index bank_statement_lines_statement on bank_statement_lines (tenant_id, statement_id, booking_date, id);

create table reconciliation_runs (
  id uuid primary key,
  tenant_id uuid not null references tenants (id) on delete cascade,
  started_at timestamptz not null,
  started_by text not null,
  line_count integer not null,
  invoice_count integer not null,
  proposed_count integer not null,
  auto_applied_count integer not null,
  unmatched_count integer not null,
  auto_apply_threshold numeric(4, 3) not null
);

-- What the matcher proposes for a credit line, and what became of it.
create table reconciliation_proposals (
  id uuid primary key,
  tenant_id uuid not null references tenants (id) on delete cascade,
  run_id uuid not null references reconciliation_runs (id),
  line_id uuid not null references bank_statement_lines (id),
  customer_id uuid not null,
  allocations jsonb not null,
  credit_paise bigint not null check (credit_paise >= 0),
  confidence numeric(5, 4) not null check (confidence between 0 and 1),
  reason text not null,
  evidence jsonb not null,
  flags text[] not null,
  auto_applicable boolean not null,
  alternatives jsonb not null default '[]'::jsonb,
  status text not null
    check (status in ('proposed', 'auto-applied', 'accepted', 'rejected', 'undone', 'superseded')),
  payment_id uuid references payments (id),
  batch_id uuid,
  decided_at timestamptz,
  decided_by text,
  decision_note text,
  created_at timestamptz not null,
  version integer not null default 1,
  check ((status in ('auto-applied', 'accepted')) = (payment_id is not null) or status = 'undone')
);
-- At most one live proposal per line.
create unique index reconciliation_proposals_live on reconciliation_proposals (tenant_id, line_id)
  where status in ('proposed', 'auto-applied', 'accepted');
create index reconciliation_proposals_listing on reconciliation_proposals (tenant_id, status, created_at, id);

-- Payment links sent to customers: UPI deep links (with their QR) or gateway links.
create table payment_links (
  id uuid primary key,
  tenant_id uuid not null references tenants (id) on delete cascade,
  kind text not null check (kind in ('upi', 'razorpay', 'cashfree')),
  reference text not null check (length(reference) between 1 and 40),
  invoice_id uuid,
  customer_id uuid,
  amount_paise bigint not null check (amount_paise > 0),
  amount_paid_paise bigint not null default 0 check (amount_paid_paise >= 0),
  status text not null check (status in ('active', 'partially-paid', 'paid', 'expired', 'cancelled')),
  url text not null,
  qr_svg text,
  provider_link_id text,
  description text,
  expires_at timestamptz,
  idempotency_key text not null,
  created_at timestamptz not null,
  created_by text not null,
  updated_at timestamptz not null,
  unique (tenant_id, idempotency_key)
);
create unique index payment_links_reference on payment_links (tenant_id, reference)
  where status in ('active', 'partially-paid');
create unique index payment_links_provider on payment_links (tenant_id, kind, provider_link_id)
  where provider_link_id is not null;
create index payment_links_listing on payment_links (tenant_id, created_at, id);

-- Gateway webhook deliveries already handled: the replay guard. Written in the transaction that handles the
-- event, so a failed handling leaves no trace and the provider's retry is processed.
create table payment_webhook_events (
  tenant_id uuid not null references tenants (id) on delete cascade,
  provider text not null check (provider in ('razorpay', 'cashfree')),
  event_id text not null,
  event_type text not null,
  outcome text not null,
  payment_id uuid references payments (id),
  received_at timestamptz not null,
  primary key (tenant_id, provider, event_id)
);

-- Commands already carried out, by the caller's idempotency key (see command-keys.ts).
create table payment_command_keys (
  tenant_id uuid not null references tenants (id) on delete cascade,
  key text not null check (length(key) between 1 and 300),
  command text not null,
  request_hash text not null,
  response jsonb,
  created_at timestamptz not null default now(),
  primary key (tenant_id, key)
);
create index payment_command_keys_age on payment_command_keys (created_at);

do $$
declare
  table_name text;
begin
  foreach table_name in array array[
    'payment_settings', 'payment_gateway_credentials', 'payer_profiles', 'payment_receivables', 'payments',
    'payment_allocations', 'customer_credit_entries', 'tds_receivable_entries', 'form26as_mappings',
    'form26as_imports', 'form26as_credits', 'tds_missing_notices', 'bank_accounts', 'bank_statements',
    'bank_statement_lines', 'reconciliation_runs', 'reconciliation_proposals', 'payment_links',
    'payment_webhook_events', 'payment_command_keys'
  ] loop
    execute format('alter table %I enable row level security', table_name);
    execute format(
      'create policy tenant_isolation on %I using (tenant_id = app_current_tenant()) '
      'with check (tenant_id = app_current_tenant())',
      table_name);
    execute format('revoke all on %I from prapti_app', table_name);
  end loop;
end
$$;

-- Append-only ledgers: no update or delete for the application.
grant select, insert on payment_allocations, customer_credit_entries, form26as_imports to prapti_app;
grant select, insert, update on payment_settings, payment_gateway_credentials, payer_profiles,
  payment_receivables, payments, tds_receivable_entries, reconciliation_runs, tds_missing_notices,
  bank_accounts, bank_statements,
  bank_statement_lines, reconciliation_proposals, payment_links, payment_webhook_events, payment_command_keys
  to prapti_app;
-- Mappings are replaced; Form 26AS credits of a year are replaced by a newer download.
grant select, insert, update, delete on form26as_mappings, form26as_credits to prapti_app;

-- Webhooks arrive without a session: the URL names the tenant by slug or id. This function answers only that
-- question (tenant id for a slug or id), so the application role needs no access to other tenants' rows.
create function payments_webhook_tenant(slug_or_id text) returns uuid
language sql stable security definer set search_path = public as $$
  select id from tenants
  where slug = lower(slug_or_id)
     -- CASE, not AND: SQL does not promise to test the pattern before attempting the cast.
     or id = case when slug_or_id ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then slug_or_id::uuid end
  limit 1
$$;
revoke all on function payments_webhook_tenant(text) from public;
grant execute on function payments_webhook_tenant(text) to prapti_app;
