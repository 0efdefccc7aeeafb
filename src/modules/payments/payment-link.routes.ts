import { z } from "zod";
import { listQuerySchema, pageSchema } from "../../platform/http/pagination.ts";
import type { HttpServer } from "../../platform/http/server.ts";
import type { RouteContext } from "../../platform/modules/module.contract.ts";
import { ZCreateLinkResult, ZPaymentLinkView } from "./payment-link.service.ts";
import { PAYMENTS_PERMISSIONS, ZCreateLinkInput, ZId } from "./payments.schemas.ts";
import type { PaymentsServices } from "./payments.services.ts";
import { requestMeta, tenantOf } from "./route-helpers.ts";

const BASE = "/api/v1/payment-links";
const TAGS = ["payment-links"];

/** HTTP routes of payment links (UPI with QR, Razorpay, Cashfree). */
export function registerPaymentLinkRoutes(
  app: HttpServer,
  context: RouteContext,
  services: PaymentsServices,
): void {
  const { links } = services;
  const read = context.guard(PAYMENTS_PERMISSIONS.read);
  const write = context.guard(PAYMENTS_PERMISSIONS.write);

  app.post(
    BASE,
    {
      preHandler: write,
      schema: {
        tags: TAGS,
        summary: "Create a payment link (the same key gives the same link)",
        body: ZCreateLinkInput,
        response: { 200: ZCreateLinkResult, 201: ZCreateLinkResult },
      },
    },
    async (request, reply) => {
      const result = await links.create(requestMeta(context, request), request.body);
      if (result.created) void reply.header("location", `${BASE}/${result.link.id}`);
      return reply.status(result.created ? 201 : 200).send(result);
    },
  );

  app.get(
    BASE,
    {
      preHandler: read,
      schema: {
        tags: TAGS,
        summary: "Payment links, newest first",
        querystring: listQuerySchema(["createdAt"] as const).extend({
          status: z.enum(["active", "partially-paid", "paid", "expired", "cancelled"]).optional(),
          invoiceId: ZId.optional(),
        }),
        response: { 200: pageSchema(ZPaymentLinkView) },
      },
    },
    (request) => links.list(tenantOf(context, request), request.query),
  );

  app.get(
    `${BASE}/:linkId`,
    {
      preHandler: read,
      schema: {
        tags: TAGS,
        summary: "One payment link",
        params: z.object({ linkId: ZId }),
        response: { 200: ZPaymentLinkView },
      },
    },
    (request) => links.get(tenantOf(context, request), request.params.linkId),
  );

  app.post(
    `${BASE}/:linkId/expiry`,
    {
      preHandler: write,
      schema: {
        tags: TAGS,
        summary: "End an open link now",
        params: z.object({ linkId: ZId }),
        response: { 200: ZPaymentLinkView },
      },
    },
    (request) => links.expire(requestMeta(context, request), request.params.linkId),
  );
}
