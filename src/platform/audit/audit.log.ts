import { randomUUID } from "node:crypto";
import { sql, type Kysely, type QueryExecutorProvider } from "kysely";
import { AppError } from "../../kernel/app-error.ts";
import { withTenant } from "../db/database.ts";
import type { DB } from "../db/schema.ts";
import { entryHash, GENESIS_HASH, toAuditJson } from "./audit.canonical.ts";
import { auditCsvHeader, auditCsvRow } from "./audit.export.ts";
import type { AuditActorType, AuditTables } from "./audit.tables.ts";

/** Who did it: a person, an integration's API key, a workflow instance, or Prapti itself. */
export type AuditActor =
  | { type: "user"; id: string }
  | { type: "api-key"; id: string }
  | { type: "workflow"; id: string }
  | { type: "system"; id?: string };

export interface AuditEntryInput {
  tenantId: string;
  actor: AuditActor;
  /** Dotted lower-case words, subject first: `invoice.issued`, `auth.login`, `auth.permission_denied`. */
  action: string;
  entity?: { type: string; id: string };
  before?: unknown;
  after?: unknown;
  metadata?: Record<string, unknown>;
  requestId?: string;
}

export interface AuditEntry {
  id: string;
  tenantId: string;
  seq: number;
  at: Date;
  actor: AuditActor;
  action: string;
  entityType: string | null;
  entityId: string | null;
  before: unknown;
  after: unknown;
  metadata: unknown;
  requestId: string | null;
  prevHash: string;
  hash: string;
}

/** A Kysely transaction (of any table set): the audit row must commit or roll back with the change. */
export interface SqlTransaction extends QueryExecutorProvider {
  readonly isTransaction: boolean;
}

export interface AppendAuditOptions {
  clock?: () => Date;
  id?: string;
}

/** Class of the per-tenant advisory lock that orders a tenant's audit chain ("AUDT"). */
const AUDIT_LOCK_CLASS = 0x41554454;
const ACTION = /^[a-z0-9_-]+(\.[a-z0-9_-]+)+$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type AuditDb = Kysely<DB & AuditTables>;

function validate(input: AuditEntryInput): void {
  const issues = [];
  if (!UUID.test(input.tenantId)) issues.push({ field: "tenantId", reason: "must be a UUID" });
  if (!ACTION.test(input.action)) issues.push({ field: "action", reason: "must be dotted lower-case words" });
  if (input.actor.type !== "system" && !input.actor.id)
    issues.push({ field: "actor.id", reason: "is required" });
  if (issues.length > 0) throw AppError.invalidInput(issues);
}

/**
 * Appends one entry to the tenant's chain inside the caller's transaction, so it commits with the change it
 * records (and disappears if that change rolls back). A transaction-scoped advisory lock on the tenant orders
 * concurrent appends into one chain; it is held until the caller commits, so append near the end of the
 * unit of work. Requires READ COMMITTED (PostgreSQL's default), where the read after the lock sees the
 * latest committed entry; under a stricter level a racing append fails on the unique (tenant, seq) instead
 * of forking the chain.
 */
export async function appendAudit(
  trx: SqlTransaction,
  input: AuditEntryInput,
  options: AppendAuditOptions = {},
): Promise<AuditEntry> {
  if (!trx.isTransaction) {
    throw new AppError({
      code: "INTERNAL",
      message: "appendAudit must run inside the transaction of the change it records",
    });
  }
  validate(input);
  const locked = await sql<{ tenant: string | null }>`
    select pg_advisory_xact_lock(${AUDIT_LOCK_CLASS}::int4, hashtext(${input.tenantId})),
           app_current_tenant()::text as tenant`.execute(trx);
  const currentTenant = locked.rows[0]?.tenant ?? null;
  if (currentTenant !== null && currentTenant !== input.tenantId) {
    throw new AppError({
      code: "INTERNAL",
      message: "audit entry names a tenant other than the transaction's",
      details: { entryTenant: input.tenantId, transactionTenant: currentTenant },
    });
  }
  // A statement of its own, after the lock: under READ COMMITTED it sees the previous holder's entry.
  const last = await sql<{ seq: bigint; hash: string }>`
    select seq, hash from audit_log where tenant_id = ${input.tenantId} order by seq desc limit 1`.execute(
    trx,
  );
  const previous = last.rows[0];
  const entry: AuditEntry = {
    id: options.id ?? randomUUID(),
    tenantId: input.tenantId,
    seq: previous ? Number(previous.seq) + 1 : 1,
    at: (options.clock ?? (() => new Date()))(),
    actor: input.actor,
    action: input.action,
    entityType: input.entity?.type ?? null,
    entityId: input.entity?.id ?? null,
    before: toAuditJson(input.before),
    after: toAuditJson(input.after),
    metadata: toAuditJson(input.metadata),
    requestId: input.requestId ?? null,
    prevHash: previous?.hash ?? GENESIS_HASH,
    hash: "",
  };
  const actorId = entry.actor.id ?? null;
  entry.hash = entryHash({ ...entry, actorType: entry.actor.type, actorId });
  const json = (value: unknown) => (value === null ? null : JSON.stringify(value));
  await sql`
    insert into audit_log (id, tenant_id, seq, at, actor_type, actor_id, action, entity_type, entity_id,
                           before, after, metadata, request_id, prev_hash, hash)
    values (${entry.id}, ${entry.tenantId}, ${entry.seq}, ${entry.at}, ${entry.actor.type}, ${actorId},
            ${entry.action}, ${entry.entityType}, ${entry.entityId}, ${json(entry.before)}::jsonb,
            ${json(entry.after)}::jsonb, ${json(entry.metadata)}::jsonb, ${entry.requestId},
            ${entry.prevHash}, ${entry.hash})`.execute(trx);
  return entry;
}

interface AuditRow {
  id: string;
  tenant_id: string;
  seq: bigint;
  at: Date;
  actor_type: AuditActorType;
  actor_id: string | null;
  action: string;
  entity_type: string | null;
  entity_id: string | null;
  before: unknown;
  after: unknown;
  metadata: unknown;
  request_id: string | null;
  prev_hash: string;
  hash: string;
}

function toActor(type: AuditActorType, id: string | null): AuditActor {
  if (type === "system") return id === null ? { type } : { type, id };
  return { type, id: id ?? "" };
}

function toEntry(row: AuditRow): AuditEntry {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    seq: Number(row.seq),
    at: row.at,
    actor: toActor(row.actor_type, row.actor_id),
    action: row.action,
    entityType: row.entity_type,
    entityId: row.entity_id,
    before: row.before,
    after: row.after,
    metadata: row.metadata,
    requestId: row.request_id,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

/** The first place where the chain does not hold, and what differs there. */
export interface AuditChainBreak {
  id: string | null;
  seq: number;
  problem: "content-changed" | "link-broken" | "entries-missing" | "anchor-mismatch";
  detail: string;
  expected: string;
  actual: string;
}

export type AuditChainReport =
  | { ok: true; entries: number; head: { seq: number; hash: string } | null }
  | { ok: false; entries: number; firstBreak: AuditChainBreak };

export interface AuditFilter {
  entityType?: string;
  entityId?: string;
  actorType?: AuditActorType;
  actorId?: string;
  action?: string;
  from?: Date;
  to?: Date;
}

export type AuditExportFormat = "csv" | "ndjson" | "json";

export interface AuditLog {
  /** `appendAudit` with this log's clock. */
  append(trx: SqlTransaction, input: AuditEntryInput): Promise<AuditEntry>;
  /** Appends in a transaction of its own, for events that change nothing else (sign-ins, denials). */
  record(input: AuditEntryInput): Promise<AuditEntry>;
  /**
   * Recomputes every hash of the tenant's chain in order and reports the first broken link. An `anchor` (a
   * head reported earlier and kept elsewhere) also catches a rewrite of the whole chain up to that point and
   * entries removed from its end.
   */
  verifyAuditChain(input: {
    tenantId: string;
    anchor?: { seq: number; hash: string };
  }): Promise<AuditChainReport>;
  /** Newest first; pass the last `seq` seen as `beforeSeq` for the next page. */
  list(input: {
    tenantId: string;
    filter?: AuditFilter;
    beforeSeq?: number;
    limit?: number;
  }): Promise<{ entries: AuditEntry[]; nextBeforeSeq: number | null }>;
  /**
   * The tenant's log, oldest first, as text chunks for a streamed response: CSV, JSON Lines or one JSON
   * array. Entries appended after the export starts are not included.
   */
  exportAudit(input: {
    tenantId: string;
    format: AuditExportFormat;
    filter?: AuditFilter;
    batchSize?: number;
  }): AsyncGenerator<string>;
}

/** One entry as exported (JSON and JSON Lines): the stored fields, hashes included, so a copy can be checked. */
export function auditEntryToJson(entry: AuditEntry): Record<string, unknown> {
  return {
    id: entry.id,
    seq: entry.seq,
    at: entry.at.toISOString(),
    actorType: entry.actor.type,
    actorId: entry.actor.id ?? null,
    action: entry.action,
    entityType: entry.entityType,
    entityId: entry.entityId,
    before: entry.before,
    after: entry.after,
    metadata: entry.metadata,
    requestId: entry.requestId,
    prevHash: entry.prevHash,
    hash: entry.hash,
  };
}

export function createAuditLog(deps: { db: Kysely<DB>; clock?: () => Date }): AuditLog {
  const clock = deps.clock ?? (() => new Date());
  const inTenant = <T>(tenantId: string, work: (trx: AuditDb) => Promise<T>) =>
    withTenant(deps.db, tenantId, (trx) => work(trx.withTables<AuditTables>()));

  function filtered(trx: AuditDb, tenantId: string, filter: AuditFilter = {}) {
    let query = trx.selectFrom("audit_log").selectAll().where("tenant_id", "=", tenantId);
    if (filter.entityType !== undefined) query = query.where("entity_type", "=", filter.entityType);
    if (filter.entityId !== undefined) query = query.where("entity_id", "=", filter.entityId);
    if (filter.actorType !== undefined) query = query.where("actor_type", "=", filter.actorType);
    if (filter.actorId !== undefined) query = query.where("actor_id", "=", filter.actorId);
    if (filter.action !== undefined) query = query.where("action", "=", filter.action);
    if (filter.from !== undefined) query = query.where("at", ">=", filter.from);
    if (filter.to !== undefined) query = query.where("at", "<", filter.to);
    return query;
  }

  /** Oldest first, in batches, up to the head as it was when the walk began. */
  async function* walk(tenantId: string, filter: AuditFilter | undefined, batchSize: number) {
    const head = await inTenant(tenantId, (trx) =>
      trx
        .selectFrom("audit_log")
        .select((eb) => eb.fn.max("seq").as("seq"))
        .where("tenant_id", "=", tenantId)
        .executeTakeFirst(),
    );
    const lastSeq = head?.seq === null || head?.seq === undefined ? 0 : Number(head.seq);
    let afterSeq = 0;
    while (afterSeq < lastSeq) {
      const rows = await inTenant(tenantId, (trx) =>
        filtered(trx, tenantId, filter)
          .where("seq", ">", BigInt(afterSeq))
          .where("seq", "<=", BigInt(lastSeq))
          .orderBy("seq")
          .limit(batchSize)
          .execute(),
      );
      if (rows.length === 0) return;
      for (const row of rows) yield toEntry(row);
      afterSeq = Number(rows[rows.length - 1]?.seq ?? lastSeq);
    }
  }

  return {
    append: (trx, input) => appendAudit(trx, input, { clock }),

    record: (input) => withTenant(deps.db, input.tenantId, (trx) => appendAudit(trx, input, { clock })),

    async verifyAuditChain({ tenantId, anchor }) {
      let expectedSeq = 1;
      let previousHash = GENESIS_HASH;
      let checked = 0;
      const broken = (firstBreak: AuditChainBreak): AuditChainReport => ({
        ok: false,
        entries: checked,
        firstBreak,
      });
      for await (const entry of walk(tenantId, undefined, 1000)) {
        if (entry.seq !== expectedSeq) {
          return broken({
            id: entry.id,
            seq: entry.seq,
            problem: "entries-missing",
            detail: `entry ${entry.seq} follows entry ${expectedSeq - 1}: entries ${expectedSeq}..${entry.seq - 1} are missing`,
            expected: String(expectedSeq),
            actual: String(entry.seq),
          });
        }
        if (entry.prevHash !== previousHash) {
          return broken({
            id: entry.id,
            seq: entry.seq,
            problem: "link-broken",
            detail: `prev_hash does not match the hash of entry ${entry.seq - 1}`,
            expected: previousHash,
            actual: entry.prevHash,
          });
        }
        const recomputed = entryHash({
          ...entry,
          actorType: entry.actor.type,
          actorId: entry.actor.id ?? null,
        });
        if (recomputed !== entry.hash) {
          return broken({
            id: entry.id,
            seq: entry.seq,
            problem: "content-changed",
            detail: "the entry's content does not match its stored hash",
            expected: recomputed,
            actual: entry.hash,
          });
        }
        if (anchor && anchor.seq === entry.seq && anchor.hash !== entry.hash) {
          return broken({
            id: entry.id,
            seq: entry.seq,
            problem: "anchor-mismatch",
            detail: `entry ${entry.seq} differs from the anchored head: the chain was rewritten up to here`,
            expected: anchor.hash,
            actual: entry.hash,
          });
        }
        previousHash = entry.hash;
        expectedSeq += 1;
        checked += 1;
      }
      if (anchor && anchor.seq >= expectedSeq) {
        return broken({
          id: null,
          seq: anchor.seq,
          problem: "entries-missing",
          detail: `the anchor names entry ${anchor.seq} but the chain ends at ${expectedSeq - 1}`,
          expected: String(anchor.seq),
          actual: String(expectedSeq - 1),
        });
      }
      return {
        ok: true,
        entries: checked,
        head: checked === 0 ? null : { seq: checked, hash: previousHash },
      };
    },

    async list({ tenantId, filter, beforeSeq, limit = 50 }) {
      const pageSize = Math.min(Math.max(limit, 1), 500);
      const rows = await inTenant(tenantId, (trx) => {
        let query = filtered(trx, tenantId, filter);
        if (beforeSeq !== undefined) query = query.where("seq", "<", BigInt(beforeSeq));
        return query
          .orderBy("seq", "desc")
          .limit(pageSize + 1)
          .execute();
      });
      const entries = rows.slice(0, pageSize).map((row) => toEntry(row));
      const last = entries[entries.length - 1];
      return { entries, nextBeforeSeq: rows.length > pageSize && last ? last.seq : null };
    },

    async *exportAudit({ tenantId, format, filter, batchSize = 500 }) {
      if (format === "csv") yield auditCsvHeader();
      if (format === "json") yield "[";
      let first = true;
      for await (const entry of walk(tenantId, filter, batchSize)) {
        if (format === "csv") {
          yield auditCsvRow(entry);
        } else {
          const line = JSON.stringify(auditEntryToJson(entry));
          yield format === "json" ? `${first ? "\n" : ",\n"}${line}` : `${line}\n`;
        }
        first = false;
      }
      if (format === "json") yield first ? "]\n" : "\n]\n";
    },
  };
}
