import type { FastifyRequest } from "fastify";
import { z } from "zod";
import { etagOf, requireIfMatch, setEtag } from "../../platform/http/etag.ts";
import { listQuerySchema, pageSchema } from "../../platform/http/pagination.ts";
import type { HttpServer } from "../../platform/http/server.ts";
import type { RouteContext } from "../../platform/modules/module.contract.ts";
import type { CommandMeta } from "../../platform/audit/command-actor.ts";
import { CUSTOMER_SORT_FIELDS } from "./customer.repository.ts";
import {
  CONSENT_CHANNELS,
  CUSTOMER_LANGUAGES,
  MSME_CATEGORIES,
  ZCustomerProfile,
} from "./customer.schemas.ts";
import type { CustomerService } from "./customer.service.ts";
import {
  ZConsentHistoryEntry,
  ZContactPermissionView,
  ZCreateCustomerResult,
  ZCustomerMatch,
  ZCustomerView,
  ZExternalReference,
  ZTdsProfileResult,
  type CustomerView,
} from "./customer.views.ts";
import { CUSTOMER_PERMISSIONS, ZFindCustomersInput, ZRecordConsentInput } from "./customers.actions.ts";

const BASE = "/api/v1/customers";
const TAGS = ["customers"];

const ZIdParams = z.object({ id: z.string().min(1).max(100) });

const ZListQuery = listQuerySchema(CUSTOMER_SORT_FIELDS).extend({
  search: z.string().trim().min(1).max(100).optional(),
  gstin: z.string().trim().min(1).max(15).optional(),
  pan: z.string().trim().min(1).max(10).optional(),
  tag: z.string().trim().min(1).max(40).optional(),
  segment: z.string().trim().min(1).max(60).optional(),
  preferredLanguage: z.enum(CUSTOMER_LANGUAGES).optional(),
  msmeCategory: z.enum(MSME_CATEGORIES).optional(),
  externalSource: z.string().trim().min(1).max(40).optional(),
});

const ZCreateBody = ZCustomerProfile.and(
  z.object({
    /** Create even when a customer with the same PAN or a similar name exists. */
    allowDuplicate: z.boolean().optional(),
    external: ZExternalReference.optional(),
  }),
);

const ZPatchBody = z
  .record(z.string(), z.unknown())
  .describe(
    "Profile fields to change (legalName, tradeName, gstin, pan, stateCode, billingAddress, contacts, preferredLanguage, creditTerms, tags, segment, msme, notes, tds); null clears a field. Consents change through /consents.",
  );

const customerEtag = (customer: CustomerView) => etagOf(customer.id, customer.version);

/** HTTP routes of the customers module under /api/v1/customers. */
export function registerCustomerRoutes(
  app: HttpServer,
  context: RouteContext,
  service: CustomerService,
): void {
  const read = context.guard(CUSTOMER_PERMISSIONS.read);
  const write = context.guard(CUSTOMER_PERMISSIONS.write);
  const metaOf = (request: FastifyRequest): CommandMeta => {
    const principal = context.principalOf(request);
    return { tenantId: principal.tenantId, actor: principal.actor, requestId: request.id };
  };
  const tenantOf = (request: FastifyRequest) => context.principalOf(request).tenantId;

  app.get(
    BASE,
    {
      preHandler: read,
      schema: {
        tags: TAGS,
        summary: "List customers",
        querystring: ZListQuery,
        response: { 200: pageSchema(ZCustomerView) },
      },
    },
    async (request) => {
      const { cursor, sort, ...rest } = request.query;
      return service.list(tenantOf(request), {
        ...rest,
        ...(cursor !== undefined ? { cursor } : {}),
        ...(sort !== undefined ? { sort } : {}),
      });
    },
  );

  app.post(
    BASE,
    {
      preHandler: write,
      schema: {
        tags: TAGS,
        summary: "Create a customer (or get the existing duplicate)",
        description:
          "201 with the new customer; 200 with the existing one and `duplicateOf` when the GSTIN, PAN, import reference or a similar name already exists.",
        body: ZCreateBody,
        response: { 200: ZCreateCustomerResult, 201: ZCreateCustomerResult },
      },
    },
    async (request, reply) => {
      const { allowDuplicate, external, ...profile } = request.body;
      const result = await service.create(
        {
          profile,
          ...(allowDuplicate !== undefined ? { allowDuplicate } : {}),
          ...(external !== undefined ? { external } : {}),
        },
        metaOf(request),
      );
      setEtag(reply, customerEtag(result.customer));
      if (result.created) void reply.header("location", `${BASE}/${result.customer.id}`);
      return reply.status(result.created ? 201 : 200).send(result);
    },
  );

  app.post(
    `${BASE}/matches`,
    {
      preHandler: read,
      schema: {
        tags: TAGS,
        summary: "Find customers matching a GSTIN, PAN, name or contact",
        body: ZFindCustomersInput,
        response: { 200: z.object({ items: z.array(ZCustomerMatch) }) },
      },
    },
    async (request) => {
      const input = request.body;
      return {
        items: await service.find(tenantOf(request), {
          ...(input.gstin !== undefined ? { gstin: input.gstin } : {}),
          ...(input.pan !== undefined ? { pan: input.pan } : {}),
          ...(input.name !== undefined ? { name: input.name } : {}),
          ...(input.email !== undefined ? { email: input.email } : {}),
          ...(input.phone !== undefined ? { phone: input.phone } : {}),
          ...(input.external !== undefined ? { external: input.external } : {}),
          ...(input.threshold !== undefined ? { threshold: input.threshold } : {}),
          limit: input.limit,
        }),
      };
    },
  );

  app.get(
    `${BASE}/:id`,
    {
      preHandler: read,
      schema: { tags: TAGS, summary: "Get a customer", params: ZIdParams, response: { 200: ZCustomerView } },
    },
    async (request, reply) => {
      const customer = await service.get(tenantOf(request), request.params.id);
      setEtag(reply, customerEtag(customer));
      return customer;
    },
  );

  app.patch(
    `${BASE}/:id`,
    {
      preHandler: write,
      schema: {
        tags: TAGS,
        summary: "Change a customer (If-Match required)",
        params: ZIdParams,
        body: ZPatchBody,
        response: { 200: ZCustomerView },
      },
    },
    async (request, reply) => {
      const meta = metaOf(request);
      const current = await service.get(meta.tenantId, request.params.id);
      requireIfMatch(request, customerEtag(current));
      const updated = await service.update(
        { customerId: current.id, changes: request.body, expectedVersion: current.version },
        meta,
      );
      setEtag(reply, customerEtag(updated));
      return updated;
    },
  );

  app.get(
    `${BASE}/:id/consents`,
    {
      preHandler: read,
      schema: {
        tags: TAGS,
        summary: "A customer's consent history (evidence under the DPDP Act)",
        params: ZIdParams,
        response: { 200: z.object({ items: z.array(ZConsentHistoryEntry) }) },
      },
    },
    async (request) => ({ items: await service.consentHistory(tenantOf(request), request.params.id) }),
  );

  app.post(
    `${BASE}/:id/consents`,
    {
      preHandler: write,
      schema: {
        tags: TAGS,
        summary: "Record a consent given or withdrawn (opt-out)",
        params: ZIdParams,
        body: ZRecordConsentInput,
        response: { 200: ZCustomerView },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const customer = await service.recordConsent(
        {
          customerId: request.params.id,
          channel: body.channel,
          status: body.status,
          source: body.source,
          ...(body.at !== undefined ? { at: body.at } : {}),
          ...(body.evidence !== undefined ? { evidence: body.evidence } : {}),
          ...(body.noticeVersion !== undefined ? { noticeVersion: body.noticeVersion } : {}),
        },
        metaOf(request),
      );
      setEtag(reply, customerEtag(customer));
      return customer;
    },
  );

  app.get(
    `${BASE}/:id/contact-permission`,
    {
      preHandler: read,
      schema: {
        tags: TAGS,
        summary: "May the customer be contacted on a channel now",
        params: ZIdParams,
        querystring: z.object({
          channel: z.enum(CONSENT_CHANNELS),
          requireGrantedConsent: z
            .enum(["true", "false"])
            .optional()
            .transform((value) => (value === undefined ? undefined : value === "true")),
        }),
        response: { 200: ZContactPermissionView },
      },
    },
    async (request) =>
      service.contactPermission(tenantOf(request), {
        customerId: request.params.id,
        channel: request.query.channel,
        ...(request.query.requireGrantedConsent !== undefined
          ? { requireGrantedConsent: request.query.requireGrantedConsent }
          : {}),
      }),
  );

  app.get(
    `${BASE}/:id/tds-profile`,
    {
      preHandler: read,
      schema: {
        tags: TAGS,
        summary: "A customer's TDS profile",
        params: ZIdParams,
        response: { 200: ZTdsProfileResult },
      },
    },
    async (request) => service.tdsProfile(tenantOf(request), { customerId: request.params.id }),
  );
}
