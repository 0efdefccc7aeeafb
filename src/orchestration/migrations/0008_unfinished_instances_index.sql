-- The sweep's look for executions that were never handed to the engine reads only unfinished instances.
create index workflow_instances_unfinished on workflow_instances (updated_at)
  where status in ('pending', 'running');
