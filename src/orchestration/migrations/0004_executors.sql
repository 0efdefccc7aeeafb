-- Liveness of the processes that run workflows. Each process writes its row when it starts and refreshes
-- `last_seen` every PRAPTI_HEARTBEAT_MS; a worker whose row is older than PRAPTI_EXECUTOR_DEAD_AFTER_MS is dead,
-- and a live worker hands its pending engine workflows to the shared queue once (`recovered_*`). Process
-- metadata only, no tenant data: read and written with the owner connection.
create table engine_executors (
  executor_id text primary key,
  role text not null,
  host text not null,
  pid integer not null,
  -- Which start of the process this row belongs to; a second live process with the same id is noticed.
  incarnation uuid not null,
  started_at timestamptz not null default now(),
  last_seen timestamptz not null default now(),
  stopped_at timestamptz,
  recovered_at timestamptz,
  recovered_by text,
  recovered_workflows integer
);
create index engine_executors_unrecovered on engine_executors (last_seen) where recovered_at is null;
