import { createHash } from "node:crypto";
import { sql } from "kysely";
import type { Logger } from "pino";
import { z } from "zod";
import { AppError, type FieldIssue } from "../../kernel/app-error.ts";
import { appendAudit } from "../../platform/audit/audit.log.ts";
import { auditActorOf, type CommandMeta } from "../../platform/audit/command-actor.ts";
import { withTenant } from "../../platform/db/database.ts";
import type { EventConsumer } from "../../platform/events/event-bus.port.ts";
import { appendEvent, type CloudEvent } from "../../platform/events/event-outbox.ts";
import type { EventTypeRegistry } from "../../platform/events/event-outbox.ts";
import type { Kysely } from "kysely";
import type { DB } from "../../platform/db/schema.ts";
import { runOnce } from "./command-keys.ts";
import { parseCustomerProfile } from "./customer.commands.ts";
import { CUSTOMER_EVENT_SOURCE, type CustomerService } from "./customer.service.ts";
import type { CustomerView } from "./customer.views.ts";
import { platformDb, type CustomersDb, type CustomersTables } from "./customers.tables.ts";
import { readEventData } from "../../platform/events/event-data.ts";

/** The event the customers module publishes when an imported record is linked to (or changes) a customer. */
export const CUSTOMER_IMPORT_LINKED = "customer.import-linked";

const ZAddressWire = z.object({
  line1: z.string(),
  line2: z.string().optional(),
  city: z.string(),
  pinCode: z.string().optional(),
  stateCode: z.string(),
  country: z.string(),
});

/**
 * `customer.import-linked`: an imported record (`externalId`, `<source>:customer:<id>`) is this customer, with the
 * details other modules need to bill it (invoicing keeps its own copy of the buyer). Published once per link and
 * again whenever those details change through a later import.
 */
export const ZCustomerImportLinkedPayload = z.object({
  customerId: z.string().min(1),
  externalId: z.string().min(1),
  source: z.enum(["csv", "tally", "zoho-books"]),
  legalName: z.string().min(1),
  gstin: z.string().length(15).nullable(),
  stateCode: z.string().length(2),
  billingAddress: ZAddressWire.nullable(),
  /** A new customer, or an existing one found by import reference, GSTIN or PAN. */
  linkedAs: z.enum(["created", "existing"]),
  linkedAt: z.iso.datetime({ offset: true }),
});
export type CustomerImportLinkedPayload = z.output<typeof ZCustomerImportLinkedPayload>;

export const CUSTOMER_IMPORT_EVENT_SCHEMAS = {
  [CUSTOMER_IMPORT_LINKED]: ZCustomerImportLinkedPayload,
} as const;

export const CUSTOMER_IMPORTS_ACTOR = "system:imports";

/**
 * `import.customer-accepted` as the customers module reads it: its own copy of the integrations module's wire
 * contract (modules never import each other), only the fields it needs.
 */
const ZImportedCustomerWire = z.object({
  runId: z.string().min(1),
  source: z.enum(["csv", "tally", "zoho-books"]),
  externalId: z.string().min(1).max(300),
  change: z.enum(["create", "update"]),
  record: z.object({
    name: z.string(),
    gstin: z.string().optional(),
    pan: z.string().optional(),
    email: z.string().optional(),
    phone: z.string().optional(),
    stateCode: z.string().optional(),
    addressLines: z.array(z.string()),
    city: z.string().optional(),
    pincode: z.string().optional(),
    creditDays: z.number().int().optional(),
    findings: z.array(z.object({ field: z.string(), reason: z.string() })),
  }),
});
type ImportedCustomerWire = z.output<typeof ZImportedCustomerWire>;

export interface CustomerImportOutcome {
  eventId: string;
  externalId: string;
  outcome: "created" | "linked" | "updated" | "unchanged" | "skipped";
  customerId?: string;
  reason?: string;
  issues?: FieldIssue[];
}

/**
 * The profile the customers module is asked to accept for an imported record. The billing address is part of it
 * only when the record has an address line, a city and a state (a PIN in India is then checked by the profile).
 */
export function profileOfImportedCustomer(record: ImportedCustomerWire["record"]): Record<string, unknown> {
  const stateCode = record.stateCode ?? record.gstin?.slice(0, 2);
  const [line1, ...rest] = record.addressLines.map((line) => line.trim()).filter((line) => line !== "");
  const contact =
    record.email !== undefined || record.phone !== undefined
      ? [
          {
            ...(record.email !== undefined ? { email: record.email } : {}),
            ...(record.phone !== undefined ? { phone: record.phone } : {}),
            isPrimary: true,
          },
        ]
      : [];
  return {
    legalName: record.name,
    ...(record.gstin !== undefined ? { gstin: record.gstin } : {}),
    ...(record.pan !== undefined ? { pan: record.pan } : {}),
    ...(stateCode !== undefined ? { stateCode } : {}),
    ...(line1 !== undefined && record.city !== undefined && stateCode !== undefined
      ? {
          billingAddress: {
            line1,
            ...(rest.length > 0 ? { line2: rest.join(", ") } : {}),
            city: record.city,
            ...(record.pincode !== undefined ? { pinCode: record.pincode } : {}),
            stateCode,
          },
        }
      : {}),
    contacts: contact,
    ...(record.creditDays !== undefined ? { creditTerms: { days: record.creditDays } } : {}),
  };
}

function hashOf(value: unknown): string {
  return createHash("sha256").update(JSON.stringify(value)).digest("hex");
}

function issuesOf(error: unknown): FieldIssue[] | undefined {
  if (error instanceof AppError && (error.code === "INVALID_INPUT" || error.code === "CONFLICT")) {
    return error.issues.length > 0 ? error.issues : [{ field: "record", reason: error.message }];
  }
  return undefined;
}

/**
 * Turns imported customer records into customers. A record already linked (by its external id) updates its
 * customer; a new one is created, or, when the customers module finds the same import reference, GSTIN or PAN,
 * linked to the customer that exists (a likely name match alone does not merge: a new customer is created and the
 * audit entry names the possible duplicate). Every link is kept in `customer_import_links` and announced as
 * `customer.import-linked`. A record the customers module refuses is skipped with a warning and an audit entry
 * (`customer.import-skipped`), and nothing else is written. Redelivery changes nothing: creation is keyed by the
 * import reference, updates by the event id, the link by the external id, the announcement by the details' hash.
 */
export function createCustomerImportHandler(options: {
  db: Kysely<DB>;
  events: EventTypeRegistry;
  now(): number;
  customers: CustomerService;
  logger?: Logger;
}) {
  const { customers } = options;
  const clock = () => new Date(options.now());
  const inTenant = <T>(tenantId: string, work: (trx: CustomersDb) => Promise<T>) =>
    withTenant(options.db, tenantId, (trx) => work(trx.withTables<CustomersTables>()));

  async function linkOf(tenantId: string, externalId: string): Promise<string | undefined> {
    return inTenant(tenantId, async (trx) => {
      const result = await sql<{ customer_id: string }>`
        select customer_id from customer_import_links where external_id = ${externalId}`.execute(trx);
      return result.rows[0]?.customer_id;
    });
  }

  async function audit(trx: CustomersDb, meta: CommandMeta, action: string, id: string, metadata: object) {
    await appendAudit(
      trx,
      {
        tenantId: meta.tenantId,
        actor: auditActorOf(meta.actor),
        action,
        entity: { type: "customer", id },
        metadata: metadata as Record<string, unknown>,
      },
      { clock },
    );
  }

  /** Keeps the link and announces the customer's details when they are new or changed. */
  async function link(
    meta: CommandMeta,
    event: CloudEvent,
    data: ImportedCustomerWire,
    customer: CustomerView,
    linkedAs: "created" | "existing",
    extra: Record<string, unknown> = {},
  ): Promise<boolean> {
    const details = {
      customerId: customer.id,
      externalId: data.externalId,
      source: data.source,
      legalName: customer.legalName,
      gstin: customer.gstin ?? null,
      stateCode: customer.stateCode,
      billingAddress: customer.billingAddress
        ? {
            line1: customer.billingAddress.line1,
            ...(customer.billingAddress.line2 !== undefined ? { line2: customer.billingAddress.line2 } : {}),
            city: customer.billingAddress.city,
            ...(customer.billingAddress.pinCode !== undefined
              ? { pinCode: customer.billingAddress.pinCode }
              : {}),
            stateCode: customer.billingAddress.stateCode,
            country: customer.billingAddress.country,
          }
        : null,
    };
    const detailsHash = hashOf(details);
    return inTenant(meta.tenantId, async (trx) => {
      const now = clock();
      const existing = await sql<{ customer_id: string; details_hash: string; linked_as: string }>`
        select customer_id, details_hash, linked_as from customer_import_links
        where external_id = ${data.externalId} for update`.execute(trx);
      const row = existing.rows[0];
      if (row !== undefined && row.customer_id === customer.id && row.details_hash === detailsHash)
        return false;
      const as = (row?.linked_as as "created" | "existing" | undefined) ?? linkedAs;
      if (row === undefined) {
        await sql`
          insert into customer_import_links
            (tenant_id, external_id, source, customer_id, linked_as, details_hash, created_at, updated_at)
          values (${meta.tenantId}, ${data.externalId}, ${data.source}, ${customer.id}, ${as}, ${detailsHash},
            ${now}, ${now})`.execute(trx);
      } else {
        await sql`
          update customer_import_links
          set customer_id = ${customer.id}, details_hash = ${detailsHash}, updated_at = ${now}
          where external_id = ${data.externalId}`.execute(trx);
      }
      await appendEvent(platformDb(trx), options.events, {
        tenantId: meta.tenantId,
        type: CUSTOMER_IMPORT_LINKED,
        source: CUSTOMER_EVENT_SOURCE,
        subject: customer.id,
        data: { ...details, linkedAs: as, linkedAt: now.toISOString() },
      });
      await audit(trx, meta, "customer.import-linked", customer.id, {
        eventId: event.id,
        runId: data.runId,
        externalId: data.externalId,
        linkedAs: as,
        ...extra,
      });
      return true;
    });
  }

  /** Records, once per event, that a record was not taken, and why. */
  async function skip(
    meta: CommandMeta,
    event: CloudEvent,
    data: ImportedCustomerWire,
    reason: string,
    issues: FieldIssue[],
    customerId?: string,
  ): Promise<CustomerImportOutcome> {
    await inTenant(meta.tenantId, (trx) =>
      runOnce(
        trx,
        {
          tenantId: meta.tenantId,
          key: `import-skip:${event.id}`,
          command: "customers.skip-import",
          request: { externalId: data.externalId },
        },
        async () => {
          await appendAudit(
            trx,
            {
              tenantId: meta.tenantId,
              actor: auditActorOf(meta.actor),
              action: "customer.import-skipped",
              entity: { type: "import-record", id: data.externalId },
              metadata: {
                eventId: event.id,
                runId: data.runId,
                externalId: data.externalId,
                reason,
                issues,
                findings: data.record.findings,
                ...(customerId !== undefined ? { customerId } : {}),
              },
            },
            { clock },
          );
          return { skipped: true };
        },
      ),
    );
    options.logger?.warn(
      { eventId: event.id, tenantId: event.tenantid, externalId: data.externalId, reason, issues },
      "imported customer skipped",
    );
    return {
      eventId: event.id,
      externalId: data.externalId,
      outcome: "skipped",
      reason,
      issues,
      ...(customerId !== undefined ? { customerId } : {}),
    };
  }

  async function update(
    meta: CommandMeta,
    event: CloudEvent,
    data: ImportedCustomerWire,
    customerId: string,
    profile: Record<string, unknown>,
  ): Promise<CustomerImportOutcome> {
    const current = await customers.get(meta.tenantId, customerId);
    const changes: Record<string, unknown> = {};
    for (const key of ["legalName", "gstin", "pan", "stateCode", "billingAddress"] as const) {
      if (profile[key] !== undefined) changes[key] = profile[key];
    }
    if (profile.creditTerms !== undefined) {
      const days = (profile.creditTerms as { days: number }).days;
      if (current.creditTerms?.days !== days) {
        changes.creditTerms = { days, agreedInWriting: current.creditTerms?.agreedInWriting ?? false };
      }
    }
    let updated: CustomerView;
    try {
      updated = await customers.update(
        { customerId, changes },
        { ...meta, idempotencyKey: `import:${event.id}` },
      );
    } catch (error) {
      const issues = issuesOf(error);
      if (issues === undefined) throw error;
      return skip(meta, event, data, "the customers module refused the change", issues, customerId);
    }
    const announced = await link(meta, event, data, updated, "existing");
    return {
      eventId: event.id,
      externalId: data.externalId,
      outcome: updated.version !== current.version || announced ? "updated" : "unchanged",
      customerId,
    };
  }

  return {
    async handle(event: CloudEvent): Promise<CustomerImportOutcome> {
      const data = readEventData(ZImportedCustomerWire, event);
      const meta: CommandMeta = { tenantId: event.tenantid, actor: CUSTOMER_IMPORTS_ACTOR };
      const profile = profileOfImportedCustomer(data.record);
      try {
        parseCustomerProfile(profile);
      } catch (error) {
        const issues = issuesOf(error);
        if (issues === undefined) throw error;
        return skip(meta, event, data, "not a valid customer profile", issues);
      }
      const linked = await linkOf(meta.tenantId, data.externalId);
      if (linked !== undefined) return update(meta, event, data, linked, profile);

      const external = { source: data.source, id: data.externalId };
      let result;
      try {
        result = await customers.create({ profile, external }, meta);
        if (!result.created && result.duplicateOf?.certainty === "likely") {
          // A similar name alone is not proof: keep the imported party apart, and say which one it resembles.
          const possible = result.duplicateOf;
          result = await customers.create({ profile, external, allowDuplicate: true }, meta);
          const announced = await link(meta, event, data, result.customer, "created", {
            possibleDuplicateOf: possible.customerId,
            possibleDuplicateScore: possible.score,
          });
          return {
            eventId: event.id,
            externalId: data.externalId,
            outcome: announced ? "created" : "unchanged",
            customerId: result.customer.id,
          };
        }
      } catch (error) {
        const issues = issuesOf(error);
        if (issues === undefined) throw error;
        return skip(meta, event, data, "the customers module refused the record", issues);
      }
      const createdByImport =
        result.created || result.duplicateOf?.reasons.includes("same-external-id") === true;
      const announced = await link(
        meta,
        event,
        data,
        result.customer,
        createdByImport ? "created" : "existing",
        result.duplicateOf ? { duplicateOf: result.duplicateOf } : {},
      );
      return {
        eventId: event.id,
        externalId: data.externalId,
        outcome: !announced ? "unchanged" : createdByImport ? "created" : "linked",
        customerId: result.customer.id,
      };
    },
  };
}

/**
 * The durable bus consumer that turns `import.customer-accepted` into customers. The integrations module publishes
 * a record's events with the same subject, so a create and a later update of one record arrive in order.
 */
export function createCustomerImportConsumer(options: {
  db: Kysely<DB>;
  events: EventTypeRegistry;
  now(): number;
  customers: CustomerService;
  logger?: Logger;
  name?: string;
}): EventConsumer {
  const handler = createCustomerImportHandler(options);
  return {
    name: options.name ?? "customers-imports",
    types: ["import.customer-accepted"],
    startFrom: "beginning",
    async handle(event) {
      await handler.handle(event);
    },
  };
}
