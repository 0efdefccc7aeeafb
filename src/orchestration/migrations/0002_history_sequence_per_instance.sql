-- Task events are numbered per instance, not per execution: a later execution replays the same events with
-- the same numbers, so the history keeps each task once however often the instance was parked and woken.
alter table workflow_task_history drop constraint workflow_task_history_pkey;
alter table workflow_task_history add primary key (instance_id, sequence);
