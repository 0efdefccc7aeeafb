-- Customers (module 6): the businesses an organisation invoices. The profile is validated by the application
-- (src/modules/customers/customer.schemas.ts); the columns hold what lists, look-ups and uniqueness need, and
-- jsonb holds the nested parts (address, contacts, consents, TDS profile) as the application wrote them.
create table customers (
  id uuid primary key,
  tenant_id uuid not null references tenants (id) on delete cascade,
  legal_name text not null check (length(legal_name) between 2 and 200),
  trade_name text,
  gstin text check (gstin ~ '^[0-9]{2}[0-9A-Z]{13}$'),
  pan text check (pan ~ '^[A-Z]{5}[0-9]{4}[A-Z]$'),
  state_code text not null check (state_code ~ '^[0-9]{2}$'),
  billing_address jsonb,
  contacts jsonb not null default '[]'::jsonb check (jsonb_typeof(contacts) = 'array'),
  preferred_language text not null check (preferred_language in ('en', 'hi', 'mr', 'gu', 'ta', 'kn', 'te', 'bn')),
  credit_days integer check (credit_days between 0 and 365),
  credit_terms_in_writing boolean,
  tags text[] not null default '{}',
  segment text,
  msme_category text check (msme_category in ('micro', 'small', 'medium')),
  udyam_number text,
  -- Current consent per channel; every change is also kept in customer_consent_history.
  consents jsonb not null default '{}'::jsonb check (jsonb_typeof(consents) = 'object'),
  notes text,
  tds jsonb,
  -- The system this customer was imported from (tally, zoho-books, csv...) and its id there.
  external_source text,
  external_id text,
  -- Optimistic concurrency: every change adds one; the HTTP ETag is derived from it.
  version integer not null default 1 check (version >= 1),
  created_at timestamptz not null,
  updated_at timestamptz not null,
  check ((external_source is null) = (external_id is null)),
  check ((credit_days is null) = (credit_terms_in_writing is null))
);
-- A GSTIN is one registration: one customer per GSTIN in a tenant. The same PAN may appear on several
-- customers (one per State registration), so it is indexed but not unique.
create unique index customers_gstin_unique on customers (tenant_id, gstin) where gstin is not null;
create unique index customers_external_unique on customers (tenant_id, external_source, external_id)
  where external_source is not null;
create index customers_pan on customers (tenant_id, pan) where pan is not null;
create index customers_legal_name on customers (tenant_id, lower(legal_name), id);
create index customers_created on customers (tenant_id, created_at, id);
create index customers_updated on customers (tenant_id, updated_at, id);
create index customers_tags on customers using gin (tags);

alter table customers enable row level security;
create policy tenant_isolation on customers
  using (tenant_id = app_current_tenant()) with check (tenant_id = app_current_tenant());
revoke all on customers from prapti_app;
grant select, insert, update on customers to prapti_app;

-- Every consent given or withdrawn, as evidence under the DPDP Act 2023 (s.6(10): the organisation must prove
-- consent). Append-only for the application.
create table customer_consent_history (
  id uuid primary key,
  tenant_id uuid not null references tenants (id) on delete cascade,
  customer_id uuid not null references customers (id) on delete cascade,
  channel text not null check (channel in ('email', 'sms', 'voice', 'whatsapp')),
  status text not null check (status in ('granted', 'withdrawn')),
  -- When the customer gave or withdrew consent.
  at timestamptz not null,
  source text not null,
  evidence text,
  notice_version text,
  -- When and by whom it was recorded.
  recorded_at timestamptz not null,
  recorded_by text not null
);
create index customer_consent_history_customer on customer_consent_history (tenant_id, customer_id, recorded_at, id);

alter table customer_consent_history enable row level security;
create policy tenant_isolation on customer_consent_history
  using (tenant_id = app_current_tenant()) with check (tenant_id = app_current_tenant());
revoke all on customer_consent_history from prapti_app;
grant select, insert on customer_consent_history to prapti_app;

-- Commands already carried out, by the caller's idempotency key: a retried command returns the first answer.
-- The key is written first, in the command's own transaction, so a concurrent retry waits for it and then
-- finds the answer; if the command fails the key goes with it.
create table customer_command_keys (
  tenant_id uuid not null references tenants (id) on delete cascade,
  key text not null check (length(key) between 1 and 300),
  command text not null,
  request_hash text not null,
  response jsonb,
  created_at timestamptz not null default now(),
  primary key (tenant_id, key)
);
create index customer_command_keys_age on customer_command_keys (created_at);

alter table customer_command_keys enable row level security;
create policy tenant_isolation on customer_command_keys
  using (tenant_id = app_current_tenant()) with check (tenant_id = app_current_tenant());
revoke all on customer_command_keys from prapti_app;
grant select, insert, update on customer_command_keys to prapti_app;
