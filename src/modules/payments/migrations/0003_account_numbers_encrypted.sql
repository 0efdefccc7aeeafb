-- Bank account numbers are personal data: they are stored encrypted with the field cipher (`enc:v1:<kid>:...`,
-- see the module README), and found by equality through blind indexes (HMAC-SHA256 per tenant of the number
-- reduced to upper-case letters and digits). Rows written before hold plaintext and no index until
-- `reencryptPaymentAccounts` rewrites them.

-- Payer profiles: one blind index per account number, for matching statement lines to customers.
alter table payer_profiles add column account_number_index text[] not null default '{}';
create index payer_profiles_account_number_index on payer_profiles using gin (account_number_index);

-- Bank accounts: a ciphertext is longer than 60 characters and never equal to another, so the length check and
-- the uniqueness move to the blind index. The constraints were declared inline: find them by definition.
alter table bank_accounts add column account_identifier_index text;
do $$
declare
  constraint_name text;
begin
  for constraint_name in
    select c.conname from pg_constraint c
    where c.conrelid = 'bank_accounts'::regclass
      and ((c.contype = 'c' and pg_get_constraintdef(c.oid) ~ 'account_identifier')
        or (c.contype = 'u' and pg_get_constraintdef(c.oid) ~ '\(tenant_id, account_identifier\)'))
  loop
    execute format('alter table bank_accounts drop constraint %I', constraint_name);
  end loop;
end
$$;
alter table bank_accounts
  add constraint bank_accounts_account_identifier_present check (length(trim(account_identifier)) > 0);
create unique index bank_accounts_account_identifier_index on bank_accounts (tenant_id, account_identifier_index)
  where account_identifier_index is not null;
