-- Side effects of the demo workflow that proves the durable engine's wiring: one row per step execution, so a
-- test can count that each step ran exactly once across a crash.
create table engine_demo_step_runs (
  workflow_id text not null,
  step text not null,
  executed_at timestamptz not null default now(),
  executor_id text not null
);
create index engine_demo_step_runs_workflow on engine_demo_step_runs (workflow_id);
grant select, insert on engine_demo_step_runs to prapti_app;
