-- Invoicing's own copy of the customers that imports linked (from the customers module's `customer.import-linked`
-- events; modules never read each other's tables): the imported record's external id (`<source>:customer:<id>`)
-- -> customer id, with the details an imported invoice needs for its buyer. Imported invoices name their
-- customer by that external id, by GSTIN or by name, and are billed to the customer found here.
create table invoicing_import_buyers (
  tenant_id uuid not null references tenants (id) on delete cascade,
  external_id text not null check (length(external_id) between 1 and 300),
  customer_id uuid not null,
  legal_name text not null,
  gstin text check (gstin ~ '^[0-9]{2}[0-9A-Z]{13}$'),
  state_code text not null check (state_code ~ '^[0-9]{2}$'),
  -- The customer's billing address as the customers module holds it; null when it has none.
  address jsonb,
  updated_at timestamptz not null,
  primary key (tenant_id, external_id)
);
create index invoicing_import_buyers_gstin on invoicing_import_buyers (tenant_id, gstin) where gstin is not null;
create index invoicing_import_buyers_name on invoicing_import_buyers (tenant_id, lower(legal_name));

alter table invoicing_import_buyers enable row level security;
create policy tenant_isolation on invoicing_import_buyers
  using (tenant_id = app_current_tenant()) with check (tenant_id = app_current_tenant());
revoke all on invoicing_import_buyers from prapti_app;
grant select, insert, update on invoicing_import_buyers to prapti_app;
