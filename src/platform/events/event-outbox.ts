import { randomUUID } from "node:crypto";
import { sql, type Kysely } from "kysely";
import type { z } from "zod";
import { AppError } from "../../kernel/app-error.ts";
import type { DB } from "../db/schema.ts";

/** A CloudEvents 1.0 envelope (JSON format) as Prapti stores and delivers it. */
export interface CloudEvent<Data = unknown> {
  specversion: "1.0";
  id: string;
  type: string;
  source: string;
  subject?: string;
  time: string;
  datacontenttype: "application/json";
  data: Data;
  /** Extension attribute: the tenant the event belongs to. */
  tenantid: string;
}

/** Event types and their payload schemas; an event that does not match its schema is refused loudly. */
export class EventTypeRegistry {
  private readonly schemas = new Map<string, z.ZodType>();

  register(type: string, schema: z.ZodType): void {
    if (!/^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(type)) {
      throw new AppError({
        code: "INVALID_INPUT",
        message: `event type "${type}" must be dotted lower-case words`,
      });
    }
    this.schemas.set(type, schema);
  }

  has(type: string): boolean {
    return this.schemas.has(type);
  }

  types(): string[] {
    return [...this.schemas.keys()].sort();
  }

  validate(type: string, data: unknown): unknown {
    const schema = this.schemas.get(type);
    if (!schema) {
      throw new AppError({
        code: "INVALID_INPUT",
        message: `event type "${type}" is not registered`,
        issues: [{ field: "type", reason: "not registered" }],
      });
    }
    const parsed = schema.safeParse(data);
    if (!parsed.success) {
      throw AppError.invalidInput(
        parsed.error.issues.map((issue) => ({
          field: ["data", ...issue.path.map(String)].join("."),
          reason: issue.message,
        })),
        `event ${type} does not match its schema`,
      );
    }
    return parsed.data;
  }
}

export interface AppendEventInput {
  tenantId: string;
  type: string;
  source: string;
  subject?: string;
  data: unknown;
  id?: string;
}

/**
 * Writes an event to the outbox inside the caller's transaction: it is published if and only if the change
 * that caused it commits.
 */
export async function appendEvent(
  trx: Kysely<DB>,
  registry: EventTypeRegistry,
  input: AppendEventInput,
): Promise<CloudEvent> {
  const data = registry.validate(input.type, input.data);
  const id = input.id ?? randomUUID();
  const row = await trx
    .insertInto("event_outbox")
    .values({
      id,
      tenant_id: input.tenantId,
      type: input.type,
      source: input.source,
      subject: input.subject ?? null,
      data: JSON.stringify(data, jsonReplacer),
    })
    .returning(["time"])
    .executeTakeFirstOrThrow();
  return {
    specversion: "1.0",
    id,
    type: input.type,
    source: input.source,
    ...(input.subject ? { subject: input.subject } : {}),
    time: row.time.toISOString(),
    datacontenttype: "application/json",
    data,
    tenantid: input.tenantId,
  };
}

/** Money is bigint paise; in event JSON it travels as a string of digits so no precision is lost. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}

export function rowToCloudEvent(row: {
  id: string;
  tenant_id: string;
  type: string;
  source: string;
  subject: string | null;
  time: Date;
  data: unknown;
}): CloudEvent {
  return {
    specversion: "1.0",
    id: row.id,
    type: row.type,
    source: row.source,
    ...(row.subject ? { subject: row.subject } : {}),
    time: row.time.toISOString(),
    datacontenttype: "application/json",
    data: row.data,
    tenantid: row.tenant_id,
  };
}

/** Wakes listeners in other processes right after commit (LISTEN/NOTIFY); the table stays the source of truth. */
export async function notifyEventsAppended(db: Kysely<DB>): Promise<void> {
  await sql`select pg_notify('prapti_events', '')`.execute(db);
}
