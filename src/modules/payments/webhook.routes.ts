import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { HttpServer } from "../../platform/http/server.ts";
import type { PaymentsServices } from "./payments.services.ts";
import { ZWebhookResult } from "./webhook.service.ts";

const BASE = "/api/v1/webhooks";
const TAGS = ["webhooks"];
const BODY_LIMIT = 256 * 1024;

/**
 * Gateway webhooks. They carry no session: the signature over the exact bytes received is the authentication,
 * so this scope keeps JSON bodies as raw buffers (its own content-type parser) and nothing is re-serialised
 * before the signature is checked.
 */
export function registerWebhookRoutes(app: HttpServer, services: PaymentsServices): void {
  void app.register(async (plugin) => {
    const scope = plugin.withTypeProvider<ZodTypeProvider>();
    scope.removeContentTypeParser(["application/json"]);
    scope.addContentTypeParser(
      ["application/json", "text/plain"],
      { parseAs: "buffer", bodyLimit: BODY_LIMIT },
      (_request, body, done) => done(null, body),
    );
    for (const provider of ["razorpay", "cashfree"] as const) {
      scope.post(
        `${BASE}/${provider}/:tenant`,
        {
          config: { access: "public" },
          schema: {
            tags: TAGS,
            summary: `${provider === "razorpay" ? "Razorpay" : "Cashfree"} webhook (signature-verified)`,
            params: z.object({ tenant: z.string().min(1).max(64) }),
            response: { 200: ZWebhookResult },
          },
        },
        async (request) => {
          const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
          return services.webhooks.handle({
            provider,
            tenant: request.params.tenant,
            rawBody,
            headers: request.headers,
          });
        },
      );
    }
  });
}
