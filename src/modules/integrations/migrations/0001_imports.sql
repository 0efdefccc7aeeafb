-- Integrations (module 9): imports of other systems' exports (CSV, Tally XML, Zoho Books JSON). Integrations
-- writes no other module's tables: accepted records leave as events (import.*-accepted) for workflows to turn
-- into customers, invoices and payments. What it keeps is the record of each run, a report per row, and the map
-- from each source record to Prapti's record, which makes a re-import change nothing.

create table import_runs (
  id uuid primary key,
  tenant_id uuid not null references tenants (id) on delete cascade,
  source text not null check (source in ('csv', 'tally', 'zoho-books')),
  format text not null check (format in ('csv', 'tally-xml', 'zoho-books-json')),
  entity text not null check (entity in ('customers', 'invoices', 'payments', 'mixed')),
  mode text not null check (mode in ('all-or-nothing', 'valid-rows-only')),
  file_name text,
  file_sha256 text not null,
  row_count integer not null check (row_count >= 0),
  created_count integer not null check (created_count >= 0),
  updated_count integer not null check (updated_count >= 0),
  unchanged_count integer not null check (unchanged_count >= 0),
  rejected_count integer not null check (rejected_count >= 0),
  skipped_count integer not null check (skipped_count >= 0),
  started_at timestamptz not null,
  started_by text not null
);
create index import_runs_listing on import_runs (tenant_id, started_at, id);

-- One report per row (CSV line, voucher, ledger, JSON record) and what became of it.
create table import_rows (
  tenant_id uuid not null references tenants (id) on delete cascade,
  run_id uuid not null references import_runs (id) on delete cascade,
  position integer not null check (position >= 1),
  -- File line for CSV, position in the file for XML and JSON.
  row_number integer,
  entity text not null check (entity in ('customer', 'invoice', 'payment', 'credit-note', 'other')),
  external_id text,
  outcome text not null check (outcome in ('created', 'updated', 'unchanged', 'rejected', 'skipped')),
  issues jsonb not null default '[]'::jsonb check (jsonb_typeof(issues) = 'array'),
  findings jsonb not null default '[]'::jsonb check (jsonb_typeof(findings) = 'array'),
  primary key (tenant_id, run_id, position)
);

-- Source record -> Prapti record. `internal_id` is filled in once the owning module has created the record
-- (integrations.link-external-id); `content_sha256` tells an unchanged re-import from an update.
create table import_external_ids (
  tenant_id uuid not null references tenants (id) on delete cascade,
  source text not null check (source in ('csv', 'tally', 'zoho-books')),
  entity text not null check (entity in ('customer', 'invoice', 'payment', 'credit-note')),
  external_id text not null check (length(external_id) between 1 and 300),
  internal_id uuid,
  content_sha256 text not null,
  first_run_id uuid not null references import_runs (id),
  last_run_id uuid not null references import_runs (id),
  created_at timestamptz not null,
  updated_at timestamptz not null,
  primary key (tenant_id, source, entity, external_id)
);
create index import_external_ids_internal on import_external_ids (tenant_id, internal_id)
  where internal_id is not null;

-- Commands already carried out, by the caller's idempotency key.
create table import_command_keys (
  tenant_id uuid not null references tenants (id) on delete cascade,
  key text not null check (length(key) between 1 and 300),
  command text not null,
  request_hash text not null,
  response jsonb,
  created_at timestamptz not null default now(),
  primary key (tenant_id, key)
);
create index import_command_keys_age on import_command_keys (created_at);

do $$
declare
  table_name text;
begin
  foreach table_name in array array['import_runs', 'import_rows', 'import_external_ids', 'import_command_keys'] loop
    execute format('alter table %I enable row level security', table_name);
    execute format(
      'create policy tenant_isolation on %I using (tenant_id = app_current_tenant()) '
      'with check (tenant_id = app_current_tenant())',
      table_name);
    execute format('revoke all on %I from prapti_app', table_name);
  end loop;
end
$$;

grant select, insert on import_runs, import_rows to prapti_app;
grant select, insert, update on import_external_ids, import_command_keys to prapti_app;
