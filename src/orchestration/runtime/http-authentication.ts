import { isPlainObject } from "../dsl/json-pointer.util.ts";
import { unsupportedFeatureMessage } from "../dsl/unsupported-feature.finder.ts";
import { guardedFetch } from "./http-transport.ts";
import type { HttpResponse } from "./runtime-host.port.ts";
import type { Frame, TaskRunner, TaskState } from "./task.runner.ts";
import { fault } from "./workflow-fault.ts";

/**
 * Authentication of HTTP calls: `basic`, `bearer`, and OAuth2 / OpenID Connect with the
 * `client_credentials` or `password` grant. A policy is inline, a reference to `use.authentications`
 * (`{ use: name }`), or secret-based (`{ basic: { use: secretName } }`, the secret holding the policy's
 * properties). Tokens are fetched from the token endpoint through journaled effects and kept for their
 * lifetime within the execution (30 s early, to absorb clock skew).
 */

export interface Authorization {
  scheme: string;
  parameter: string;
}

const TOKEN_SKEW_MS = 30_000;

export async function resolveAuthorization(
  runner: TaskRunner,
  frame: Frame,
  state: TaskState,
  policy: unknown,
): Promise<Authorization | null> {
  if (policy === undefined || policy === null) return null;
  let definition = policy;
  if (
    isPlainObject(definition) &&
    typeof definition.use === "string" &&
    Object.keys(definition).length === 1
  ) {
    const named = runner.exec.workflow.use?.authentications?.[definition.use];
    if (!named) {
      throw fault("configuration", {
        title: "Unknown authentication",
        detail: `authentication '${definition.use}' is not defined in use.authentications`,
        instance: state.path,
      });
    }
    definition = named;
  }
  const evaluated = await runner.template(definition, "taskDefinition", frame, state, state.input);
  if (!isPlainObject(evaluated))
    throw fault("configuration", {
      title: "Invalid authentication",
      detail: "an authentication policy must be an object",
      instance: state.path,
    });

  for (const scheme of ["digest", "certificate"]) {
    if (scheme in evaluated)
      throw fault("configuration", {
        title: "Unsupported authentication",
        detail: unsupportedFeatureMessage(`authentication: ${scheme}`),
        instance: state.path,
      });
  }
  if (isPlainObject(evaluated.basic)) {
    const { username, password } = properties(runner, evaluated.basic, state.path, "basic");
    if (typeof username !== "string" || typeof password !== "string") {
      throw fault("configuration", {
        title: "Invalid authentication",
        detail: "basic authentication needs a username and a password",
        instance: state.path,
      });
    }
    return { scheme: "Basic", parameter: Buffer.from(`${username}:${password}`, "utf8").toString("base64") };
  }
  if (isPlainObject(evaluated.bearer)) {
    const { token } = properties(runner, evaluated.bearer, state.path, "bearer");
    if (typeof token !== "string" || token === "") {
      throw fault("configuration", {
        title: "Invalid authentication",
        detail: "bearer authentication needs a token",
        instance: state.path,
      });
    }
    return { scheme: "Bearer", parameter: token };
  }
  for (const scheme of ["oauth2", "oidc"] as const) {
    if (isPlainObject(evaluated[scheme])) {
      const settings = properties(runner, evaluated[scheme], state.path, scheme);
      const token = await obtainToken(runner, frame, state, settings, scheme === "oidc");
      return { scheme: token.tokenType, parameter: token.accessToken };
    }
  }
  throw fault("configuration", {
    title: "Invalid authentication",
    detail: "no supported authentication scheme in the policy",
    instance: state.path,
  });
}

/** Inline properties, or those of the secret a `{ use: secretName }` policy points to. */
function properties(
  runner: TaskRunner,
  value: Record<string, unknown>,
  instance: string,
  scheme: string,
): Record<string, unknown> {
  if (typeof value.use !== "string") return value;
  const declared = runner.exec.workflow.use?.secrets ?? [];
  const secret = runner.exec.secrets[value.use];
  if (!declared.includes(value.use) || !isPlainObject(secret)) {
    throw fault("authorization", {
      title: "Secret not available",
      detail: `the ${scheme} policy needs secret '${value.use}', which is not declared or not available`,
      instance,
    });
  }
  return secret;
}

async function obtainToken(
  runner: TaskRunner,
  frame: Frame,
  state: TaskState,
  settings: Record<string, unknown>,
  openIdConnect: boolean,
): Promise<{ accessToken: string; tokenType: string }> {
  const exec = runner.exec;
  const cacheKey = JSON.stringify({ openIdConnect, settings });
  const cached = exec.tokens.get(cacheKey);
  if (cached && (await exec.now(state, frame.scope)) < cached.expiresAt) return cached;

  const grant = typeof settings.grant === "string" ? settings.grant : "client_credentials";
  if (grant !== "client_credentials" && grant !== "password") {
    throw fault("configuration", {
      title: "Unsupported grant",
      detail: unsupportedFeatureMessage(`oauth2 grant: ${grant}`),
      instance: state.path,
    });
  }
  const tokenUrl = openIdConnect
    ? await discoverTokenEndpoint(runner, frame, state, settings)
    : tokenEndpoint(settings, state.path);

  const client = isPlainObject(settings.client) ? settings.client : {};
  const parameters: Record<string, string> = { grant_type: grant };
  if (grant === "password") {
    if (typeof settings.username === "string") parameters.username = settings.username;
    if (typeof settings.password === "string") parameters.password = settings.password;
  }
  if (Array.isArray(settings.scopes) && settings.scopes.length > 0)
    parameters.scope = settings.scopes.join(" ");
  if (Array.isArray(settings.audiences) && settings.audiences.length > 0)
    parameters.audience = settings.audiences.join(" ");
  const headers: Record<string, string> = { accept: "application/json" };
  const clientAuthentication =
    typeof client.authentication === "string" ? client.authentication : "client_secret_post";
  const clientId = typeof client.id === "string" ? client.id : undefined;
  const clientSecret = typeof client.secret === "string" ? client.secret : undefined;
  if (clientAuthentication === "client_secret_basic" && clientId !== undefined) {
    const credentials = `${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret ?? "")}`;
    headers.authorization = `Basic ${Buffer.from(credentials, "utf8").toString("base64")}`;
  } else if (clientAuthentication === "client_secret_post" || clientAuthentication === "none") {
    if (clientId !== undefined) parameters.client_id = clientId;
    if (clientSecret !== undefined && clientAuthentication === "client_secret_post")
      parameters.client_secret = clientSecret;
  } else {
    throw fault("configuration", {
      title: "Unsupported client authentication",
      detail: unsupportedFeatureMessage(`oauth2 client authentication: ${clientAuthentication}`),
      instance: state.path,
    });
  }
  const encoding =
    isPlainObject(settings.request) && settings.request.encoding === "application/json" ? "json" : "form";
  headers["content-type"] = encoding === "json" ? "application/json" : "application/x-www-form-urlencoded";
  const body = encoding === "json" ? JSON.stringify(parameters) : new URLSearchParams(parameters).toString();

  const host = exec.host;
  const exchange = await exec.effect("call", state, frame.scope, `POST ${tokenUrl}`, async (signal) => ({
    response: await guardedFetch(
      runner,
      { method: "POST", url: tokenUrl, headers, body, signal },
      state.path,
    ),
    at: host.now(),
  }));
  const payload = readJson(exchange.response);
  if (
    exchange.response.status < 200 ||
    exchange.response.status > 299 ||
    !isPlainObject(payload) ||
    typeof payload.access_token !== "string"
  ) {
    const reason = isPlainObject(payload) && typeof payload.error === "string" ? `: ${payload.error}` : "";
    throw fault("authentication", {
      status: 401,
      title: "Token request refused",
      detail: `the token endpoint ${tokenUrl} answered ${exchange.response.status}${reason}`,
      instance: state.path,
    });
  }
  const tokenType =
    typeof payload.token_type === "string" && payload.token_type.toLowerCase() !== "bearer"
      ? payload.token_type
      : "Bearer";
  const lifetime =
    typeof payload.expires_in === "number" ? payload.expires_in * 1000 : Number(payload.expires_in) * 1000;
  const token = { accessToken: payload.access_token, tokenType };
  if (Number.isFinite(lifetime) && lifetime > 0) {
    exec.tokens.set(cacheKey, { ...token, expiresAt: exchange.at + Math.max(0, lifetime - TOKEN_SKEW_MS) });
  }
  return token;
}

function tokenEndpoint(settings: Record<string, unknown>, instance: string): string {
  const endpoints = isPlainObject(settings.endpoints) ? settings.endpoints : {};
  const path = typeof endpoints.token === "string" ? endpoints.token : "/oauth2/token";
  if (/^https?:\/\//i.test(path)) return path;
  if (typeof settings.authority !== "string") {
    throw fault("configuration", {
      title: "Invalid authentication",
      detail: "an OAuth2 policy needs an authority",
      instance,
    });
  }
  return `${settings.authority.replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}`;
}

async function discoverTokenEndpoint(
  runner: TaskRunner,
  frame: Frame,
  state: TaskState,
  settings: Record<string, unknown>,
): Promise<string> {
  if (typeof settings.authority !== "string") {
    throw fault("configuration", {
      title: "Invalid authentication",
      detail: "an OpenID Connect policy needs an authority",
      instance: state.path,
    });
  }
  const suffix = "/.well-known/openid-configuration";
  const url = settings.authority.endsWith(suffix)
    ? settings.authority
    : `${settings.authority.replace(/\/+$/, "")}${suffix}`;
  const exec = runner.exec;
  let configuration = exec.documents.get(url);
  if (configuration === undefined) {
    const response = await exec.effect("call", state, frame.scope, `GET ${url}`, (signal) =>
      guardedFetch(
        runner,
        { method: "GET", url, headers: { accept: "application/json" }, signal },
        state.path,
      ),
    );
    configuration = readJson(response);
    if (
      response.status < 200 ||
      response.status > 299 ||
      !isPlainObject(configuration) ||
      typeof configuration.token_endpoint !== "string"
    ) {
      throw fault("authentication", {
        status: 401,
        title: "Discovery failed",
        detail: `no token endpoint in ${url} (status ${response.status})`,
        instance: state.path,
      });
    }
    exec.documents.set(url, configuration);
  }
  return (configuration as { token_endpoint: string }).token_endpoint;
}

function readJson(response: HttpResponse): unknown {
  try {
    return JSON.parse(Buffer.from(response.bodyBase64, "base64").toString("utf8")) as unknown;
  } catch {
    return undefined;
  }
}
