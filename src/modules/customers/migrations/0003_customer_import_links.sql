-- Records imported from other systems (Tally, Zoho Books, CSV) linked to the customer they became: the import's
-- external id (`<source>:customer:<id>`) -> customer. A customer can carry several (a Tally ledger and a CSV row
-- for the same GSTIN). `details_hash` is the hash of what the last `customer.import-linked` event announced, so
-- a redelivered import announces nothing twice.
create table customer_import_links (
  tenant_id uuid not null references tenants (id) on delete cascade,
  external_id text not null check (length(external_id) between 1 and 300),
  source text not null check (source in ('csv', 'tally', 'zoho-books')),
  customer_id uuid not null references customers (id),
  -- How the link was made: a new customer, or an existing one with the same GSTIN, PAN or import reference.
  linked_as text not null check (linked_as in ('created', 'existing')),
  details_hash text not null,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  primary key (tenant_id, external_id)
);
create index customer_import_links_customer on customer_import_links (tenant_id, customer_id);

alter table customer_import_links enable row level security;
create policy tenant_isolation on customer_import_links
  using (tenant_id = app_current_tenant()) with check (tenant_id = app_current_tenant());
revoke all on customer_import_links from prapti_app;
grant select, insert, update on customer_import_links to prapti_app;
