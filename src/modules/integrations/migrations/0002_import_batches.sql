-- Imports in batches. A valid-rows-only import commits its rows in batches (500 by default), each batch its row
-- reports, external ids and events in one transaction, and records its progress on the run: `committed_rows` is
-- the number of leading rows (by position) whose batch committed. A run is `running` until its last batch is
-- committed (`completed`); a run that stopped on a failed batch is `partial`, its rows after `committed_rows`
-- reported as `not-imported` (rejected and skipped rows keep their own outcome). Importing the same file again
-- finishes the rest: rows already committed are unchanged by external id and publish nothing.
-- All-or-nothing imports stay one transaction and are `completed` when they commit.

alter table import_runs
  add column status text not null default 'completed' check (status in ('running', 'completed', 'partial')),
  add column batch_size integer check (batch_size >= 1),
  add column committed_rows integer not null default 0 check (committed_rows >= 0),
  add column not_imported_count integer not null default 0 check (not_imported_count >= 0),
  add column finished_at timestamptz,
  add column failure text;

update import_runs set committed_rows = row_count, finished_at = started_at;

alter table import_rows drop constraint import_rows_outcome_check;
alter table import_rows add constraint import_rows_outcome_check
  check (outcome in ('created', 'updated', 'unchanged', 'rejected', 'skipped', 'not-imported'));

-- Progress and the closing status are written on the run by the import itself.
grant update on import_runs to prapti_app;
