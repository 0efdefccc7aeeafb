import { z } from "zod";
import {
  defineAction,
  type ActionPolicy,
  type ModuleRegistration,
} from "../../platform/actions/action-catalog.ts";
import type { ModuleContext } from "../../platform/modules/module.contract.ts";
import type { CommandMeta } from "../../platform/audit/command-actor.ts";
import type { CustomerService } from "./customer.service.ts";
import { CONSENT_CHANNELS, CONSENT_SOURCES, ZCustomerProfile } from "./customer.schemas.ts";
import {
  ZContactPermissionView,
  ZCreateCustomerResult,
  ZCustomerMatch,
  ZCustomerView,
  ZExternalReference,
  ZTdsProfileResult,
} from "./customer.views.ts";

/** Permissions of the customers module (see src/platform/auth/permission.matrix.ts). */
export const CUSTOMER_PERMISSIONS = { read: "customers:read", write: "customers:write" } as const;

/** Defaults for every customers action: short database work, safe to retry when repeatable. */
export const CUSTOMERS_ACTION_POLICY: Partial<ActionPolicy> = {
  timeoutMs: 5_000,
  retry: { maxAttempts: 3, initialDelayMs: 100, maxDelayMs: 1_000 },
};

const ZCustomerId = z.uuid({ error: "is a customer id (UUID)" });
const ZPaiseInput = z
  .string()
  .regex(/^\d+$/, { error: "is a whole, non-negative number of paise as text" })
  .transform((value) => BigInt(value));
const ZStateCodeInput = z.string().regex(/^[0-9]{2}$/, { error: "is a two-digit GST state code" });

export const ZFindCustomersInput = z
  .object({
    gstin: z.string().min(1).max(20).optional(),
    pan: z.string().min(1).max(12).optional(),
    name: z.string().min(1).max(200).optional(),
    email: z.string().min(3).max(254).optional(),
    phone: z.string().min(5).max(20).optional(),
    external: ZExternalReference.optional(),
    threshold: z.number().min(0.5).max(1).optional(),
    limit: z.int().min(1).max(50).default(10),
  })
  .refine(
    (input) =>
      [input.gstin, input.pan, input.name, input.email, input.phone, input.external].some(
        (value) => value !== undefined,
      ),
    { error: "give at least one of gstin, pan, name, email, phone or external" },
  );

export const ZRecordConsentInput = z.object({
  channel: z.enum(CONSENT_CHANNELS),
  status: z.enum(["granted", "withdrawn"]),
  /** When the customer gave or withdrew consent (ISO 8601 with offset); now when absent. */
  at: z.iso.datetime({ offset: true }).optional(),
  source: z.enum(CONSENT_SOURCES),
  evidence: z.string().min(1).max(500).optional(),
  noticeVersion: z.string().min(1).max(40).optional(),
});

function metaOf(ctx: {
  tenantId: string;
  actor: string;
  idempotencyKey?: string;
  requestId?: string;
}): CommandMeta {
  return {
    tenantId: ctx.tenantId,
    actor: ctx.actor,
    ...(ctx.idempotencyKey !== undefined ? { idempotencyKey: ctx.idempotencyKey } : {}),
    ...(ctx.requestId !== undefined ? { requestId: ctx.requestId } : {}),
  };
}

/** The customers module's actions, for workflows through the gateway. */
export function customersActions(_context: ModuleContext, service: CustomerService): ModuleRegistration {
  const customers = service;
  return {
    module: "customers",
    policy: CUSTOMERS_ACTION_POLICY,
    actions: [
      defineAction({
        module: "customers",
        name: "get",
        kind: "query",
        description: "A customer's profile by id.",
        permission: CUSTOMER_PERMISSIONS.read,
        input: z.object({ customerId: ZCustomerId }),
        output: ZCustomerView,
        handler: (input, ctx) => customers.get(ctx.tenantId, input.customerId),
      }),
      defineAction({
        module: "customers",
        name: "find",
        kind: "query",
        description:
          "Customers matching a GSTIN, PAN, name, e-mail address, phone number or import reference; best first.",
        permission: CUSTOMER_PERMISSIONS.read,
        input: ZFindCustomersInput,
        output: z.object({ matches: z.array(ZCustomerMatch) }),
        handler: async (input, ctx) => ({
          matches: await customers.find(ctx.tenantId, {
            ...(input.gstin !== undefined ? { gstin: input.gstin } : {}),
            ...(input.pan !== undefined ? { pan: input.pan } : {}),
            ...(input.name !== undefined ? { name: input.name } : {}),
            ...(input.email !== undefined ? { email: input.email } : {}),
            ...(input.phone !== undefined ? { phone: input.phone } : {}),
            ...(input.external !== undefined ? { external: input.external } : {}),
            ...(input.threshold !== undefined ? { threshold: input.threshold } : {}),
            limit: input.limit,
          }),
        }),
      }),
      defineAction({
        module: "customers",
        name: "contact-permission",
        kind: "query",
        description:
          "Whether the customer may be contacted on a channel now (consent and opt-outs), and at which addresses.",
        permission: CUSTOMER_PERMISSIONS.read,
        input: z.object({
          customerId: ZCustomerId,
          channel: z.enum(CONSENT_CHANNELS),
          requireGrantedConsent: z.boolean().optional(),
        }),
        output: ZContactPermissionView,
        handler: (input, ctx) =>
          customers.contactPermission(ctx.tenantId, {
            customerId: input.customerId,
            channel: input.channel,
            ...(input.requireGrantedConsent !== undefined
              ? { requireGrantedConsent: input.requireGrantedConsent }
              : {}),
          }),
      }),
      defineAction({
        module: "customers",
        name: "tds-profile",
        kind: "query",
        description:
          "The customer's income-tax and GST TDS profile; given an invoice's figures, the deductions to expect.",
        permission: CUSTOMER_PERMISSIONS.read,
        input: z.object({
          customerId: ZCustomerId,
          invoice: z
            .object({
              taxableValuePaise: ZPaiseInput,
              gstPaise: ZPaiseInput,
              totalPaise: ZPaiseInput,
              supplierStateCode: ZStateCodeInput,
              placeOfSupply: ZStateCodeInput,
              contractValuePaise: ZPaiseInput.optional(),
            })
            .optional(),
        }),
        output: ZTdsProfileResult,
        handler: (input, ctx) =>
          customers.tdsProfile(ctx.tenantId, {
            customerId: input.customerId,
            ...(input.invoice !== undefined
              ? {
                  invoice: {
                    taxableValuePaise: input.invoice.taxableValuePaise,
                    gstPaise: input.invoice.gstPaise,
                    invoiceTotalPaise: input.invoice.totalPaise,
                    supplierStateCode: input.invoice.supplierStateCode,
                    placeOfSupply: input.invoice.placeOfSupply,
                    ...(input.invoice.contractValuePaise !== undefined
                      ? { contractValuePaise: input.invoice.contractValuePaise }
                      : {}),
                  },
                }
              : {}),
          }),
      }),
      defineAction({
        module: "customers",
        name: "create",
        kind: "command",
        description:
          "Creates a customer, or returns the existing one (with duplicateOf) for the same GSTIN, PAN, import reference or a similar name.",
        permission: CUSTOMER_PERMISSIONS.write,
        input: z.object({
          profile: ZCustomerProfile,
          allowDuplicate: z.boolean().optional(),
          external: ZExternalReference.optional(),
        }),
        output: ZCreateCustomerResult,
        handler: (input, ctx) =>
          customers.create(
            {
              profile: input.profile,
              ...(input.allowDuplicate !== undefined ? { allowDuplicate: input.allowDuplicate } : {}),
              ...(input.external !== undefined ? { external: input.external } : {}),
            },
            metaOf(ctx),
          ),
      }),
      defineAction({
        module: "customers",
        name: "update",
        kind: "command",
        description: "Changes profile fields (null clears one); expectedVersion guards against lost updates.",
        permission: CUSTOMER_PERMISSIONS.write,
        input: z.object({
          customerId: ZCustomerId,
          changes: z.record(z.string(), z.unknown()),
          expectedVersion: z.int().min(1).optional(),
        }),
        output: ZCustomerView,
        handler: (input, ctx) =>
          customers.update(
            {
              customerId: input.customerId,
              changes: input.changes,
              ...(input.expectedVersion !== undefined ? { expectedVersion: input.expectedVersion } : {}),
            },
            metaOf(ctx),
          ),
      }),
      defineAction({
        module: "customers",
        name: "record-consent",
        kind: "command",
        description:
          "Records a consent given or withdrawn on one channel, with its evidence; a withdrawal emits customer.opted-out.",
        permission: CUSTOMER_PERMISSIONS.write,
        input: ZRecordConsentInput.extend({ customerId: ZCustomerId }),
        output: ZCustomerView,
        handler: (input, ctx) =>
          customers.recordConsent(
            {
              customerId: input.customerId,
              channel: input.channel,
              status: input.status,
              source: input.source,
              ...(input.at !== undefined ? { at: input.at } : {}),
              ...(input.evidence !== undefined ? { evidence: input.evidence } : {}),
              ...(input.noticeVersion !== undefined ? { noticeVersion: input.noticeVersion } : {}),
            },
            metaOf(ctx),
          ),
      }),
    ],
  };
}
