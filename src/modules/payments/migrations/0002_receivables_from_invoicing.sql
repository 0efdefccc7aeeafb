-- Receivables fed by invoicing's events (invoice.issued, credit-note.issued, debit-note.issued,
-- invoice.cancelled) as well as by payments.register-receivable.
--
-- `total_paise` is now what the customer owes on the invoice in all: the invoice total plus debit notes minus
-- the credit notes applied to it (`debited_paise`, `credited_paise`). A credit note can take the total to zero,
-- and below the taxable value, so those two checks are relaxed. What is settled stays `total_paise - open_paise`.
-- A cancelled invoice keeps its row (allocations reference it) with nothing open.
alter table payment_receivables
  add column status text not null default 'open' check (status in ('open', 'cancelled')),
  add column credited_paise bigint not null default 0 check (credited_paise >= 0),
  add column debited_paise bigint not null default 0 check (debited_paise >= 0);

-- The checks "total_paise > 0" and "taxable_value_paise <= total_paise" were declared inline, so their names are
-- PostgreSQL's choice: find them by definition.
do $$
declare
  constraint_name text;
begin
  for constraint_name in
    select c.conname from pg_constraint c
    where c.conrelid = 'payment_receivables'::regclass and c.contype = 'c'
      and (pg_get_constraintdef(c.oid) ~ '\(total_paise > 0\)'
        or pg_get_constraintdef(c.oid) ~ 'taxable_value_paise <= total_paise')
  loop
    execute format('alter table payment_receivables drop constraint %I', constraint_name);
  end loop;
end
$$;
alter table payment_receivables add constraint payment_receivables_total_not_negative check (total_paise >= 0);
alter table payment_receivables
  add constraint payment_receivables_taxable_not_negative check (taxable_value_paise >= 0);
alter table payment_receivables
  add constraint payment_receivables_cancelled_closed check (status = 'open' or open_paise = 0);

-- A bank line for money already recorded as a receipt (by hand, by a gateway) is linked to that receipt instead of
-- recording it a second time: the proposal names the receipt it links to, and one receipt has at most one line.
alter table reconciliation_proposals add column existing_payment_id uuid references payments (id);
create unique index bank_statement_lines_one_per_payment on bank_statement_lines (tenant_id, payment_id)
  where payment_id is not null;
