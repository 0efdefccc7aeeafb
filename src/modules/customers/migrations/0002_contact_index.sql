-- Contact e-mail addresses and phone numbers are stored encrypted inside `contacts` (AES-256-GCM, the key id
-- inside each value; see contact-protection.ts). Equality look-ups (find by e-mail or phone, duplicate
-- detection) go through blind indexes: HMAC-SHA256 of each normalised address or number, per tenant.
-- Rows written before this migration keep plaintext contacts and an empty index until
-- `reencryptCustomerContacts` encrypts them; reading them keeps working meanwhile.
alter table customers add column contact_index text[] not null default '{}';
create index customers_contact_index on customers using gin (contact_index);
