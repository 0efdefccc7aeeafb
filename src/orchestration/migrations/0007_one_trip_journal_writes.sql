-- The durable host's two hottest writes, each in one round trip: an effect's journal entry with the task history
-- gathered since the last write, and an execution's end with its last history. Each runs as one statement
-- under the caller's role (security invoker), binding the tenant first, so row-level security applies as for
-- any other write of the application.

create function workflow_record_effect(
  p_tenant uuid,
  p_instance uuid,
  p_execution integer,
  p_effect_key text,
  p_result jsonb,
  p_history jsonb,
  p_status text
) returns void
language plpgsql
as $$
begin
  perform set_config('app.tenant_id', p_tenant::text, true);
  insert into workflow_journal (instance_id, tenant_id, effect_key, result)
    values (p_instance, p_tenant, p_effect_key, p_result)
    on conflict (instance_id, effect_key) do nothing;
  perform workflow_append_history(p_tenant, p_instance, p_execution, p_history);
  if p_status is not null then
    update workflow_instances set status = p_status, updated_at = now()
      where id = p_instance and status not in ('cancelled', 'completed', 'faulted');
  end if;
end
$$;

create function workflow_append_history(
  p_tenant uuid,
  p_instance uuid,
  p_execution integer,
  p_history jsonb
) returns void
language sql
as $$
  insert into workflow_task_history
      (instance_id, tenant_id, sequence, task_path, task_name, status, at, output, error, execution)
    select p_instance, p_tenant, h.sequence, h.task_path, h.task_name, h.status, h.at, h.output, h.error,
        p_execution
      from jsonb_to_recordset(coalesce(p_history, '[]'::jsonb))
        as h(sequence integer, task_path text, task_name text, status text, at timestamptz, output jsonb,
          error jsonb)
    on conflict (instance_id, sequence) do nothing;
$$;

create function workflow_end_execution(
  p_tenant uuid,
  p_instance uuid,
  p_execution integer,
  p_status text,
  p_set_output boolean,
  p_output jsonb,
  p_set_error boolean,
  p_error jsonb,
  p_history jsonb
) returns void
language plpgsql
as $$
begin
  perform set_config('app.tenant_id', p_tenant::text, true);
  perform workflow_append_history(p_tenant, p_instance, p_execution, p_history);
  update workflow_instances
    set status = p_status,
        updated_at = now(),
        output = case when p_set_output then p_output else output end,
        error = case when p_set_error then p_error else error end,
        ended_at = case when p_status in ('completed', 'faulted', 'cancelled') then now() else ended_at end
    where id = p_instance and execution = p_execution and status <> 'cancelled';
end
$$;
