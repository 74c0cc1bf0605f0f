/**
 * The OpenAPI 3.1 document, generated from the same route definitions and zod schemas that validate
 * requests (zod 4's `z.toJSONSchema`): request schemas in their input form, responses in their output form.
 */
import { z } from 'zod';
import type { AnyRoute } from './api/route.js';
import { ErrorBody } from './api/schemas.js';
import { API_ACCESS, routeKey } from './auth/route-access.js';

type Json = Record<string, unknown>;

const REF = (name: string) => ({ $ref: `#/components/schemas/${name}` });

function componentSchemas(entries: Map<string, z.ZodType>, io: 'input' | 'output'): Record<string, Json> {
  const registry = z.registry<{ id: string }>();
  for (const [name, schema] of entries) {
    if (!registry.has(schema)) registry.add(schema, { id: name });
  }
  const { schemas } = z.toJSONSchema(registry, {
    io,
    unrepresentable: 'any',
    target: 'draft-2020-12',
    uri: (id) => `#/components/schemas/${id}`,
  }) as { schemas: Record<string, Json> };
  for (const schema of Object.values(schemas)) {
    delete schema.$schema;
    delete schema.$id;
  }
  return schemas;
}

function inlineSchema(schema: z.ZodType): Json {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as Json;
  delete json.$schema;
  return json;
}

/** `/grants/:grantId` → `/grants/{grantId}`. */
export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function parameters(def: AnyRoute): Json[] {
  const out: Json[] = [];
  for (const [where, schema] of [
    ['path', def.params],
    ['query', def.query],
  ] as const) {
    if (!schema) continue;
    const json = inlineSchema(schema as z.ZodType) as { properties?: Record<string, Json>; required?: string[] };
    for (const [name, prop] of Object.entries(json.properties ?? {})) {
      const { description, ...rest } = prop as { description?: string };
      out.push({
        name,
        in: where,
        required: where === 'path' || (json.required ?? []).includes(name),
        schema: rest,
        ...(description ? { description } : {}),
      });
    }
  }
  return out;
}

/**
 * Who may call an operation, from the route access table: `x-access` is `anyone`, `signed-in` or `roles`
 * (then `x-roles` lists them, any one of which will do), `x-session-only` marks what an API token cannot do,
 * `x-record-check` says what the service checks further on the record.
 */
function accessExtensions(def: AnyRoute): Json {
  const access = API_ACCESS[routeKey(def.method, def.path)];
  if (!access) return {};
  return {
    'x-access': access.who === 'anyone' || access.who === 'signed-in' ? access.who : 'roles',
    ...(Array.isArray(access.who) ? { 'x-roles': access.who } : {}),
    ...(access.sessionOnly ? { 'x-session-only': true } : {}),
    ...(access.records ? { 'x-record-check': access.records } : {}),
  };
}

const ERROR_STATUSES: Record<string, string> = {
  '400': 'Invalid input (VALIDATION_FAILED)',
  '401': 'Not signed in (UNAUTHENTICATED)',
  '403': 'Not allowed (FORBIDDEN, NOT_ENTITLED, SELF_APPROVAL … or a missing CSRF token)',
  '404': 'Not found (also for another provider’s ids)',
  '409': 'Conflicts with the current state',
  '429': 'Rate limited',
};

export function buildOpenApi(routes: readonly AnyRoute[], info: { title: string; version: string; serverUrl: string }): Json {
  const requests = new Map<string, z.ZodType>();
  const responses = new Map<string, z.ZodType>([['Error', ErrorBody]]);
  for (const def of routes) {
    if (def.body) requests.set(def.bodyName ?? `${def.operationId}Request`, def.body as z.ZodType);
    if (def.response) responses.set(def.responseName ?? `${def.operationId}Response`, def.response as z.ZodType);
  }
  const paths: Record<string, Record<string, Json>> = {};
  for (const def of routes) {
    const path = `/api/v1${openApiPath(def.path)}`;
    const errorResponses = Object.fromEntries(
      Object.entries(ERROR_STATUSES).map(([status, description]) => [
        status,
        { description, content: { 'application/json': { schema: REF('Error') } } },
      ]),
    );
    const success = String(def.status ?? (def.response ? 200 : 204));
    (paths[path] ??= {})[def.method] = {
      operationId: def.operationId,
      summary: def.summary,
      tags: [def.tag],
      ...accessExtensions(def),
      parameters: parameters(def),
      ...(def.body
        ? {
            requestBody: {
              required: !def.bodyOptional,
              content: { 'application/json': { schema: REF(def.bodyName ?? `${def.operationId}Request`) } },
            },
          }
        : {}),
      responses: {
        [success]: def.response
          ? { description: 'OK', content: { 'application/json': { schema: REF(def.responseName ?? `${def.operationId}Response`) } } }
          : { description: 'Done, no content' },
        ...errorResponses,
      },
    };
  }
  const inputSchemas = componentSchemas(requests, 'input');
  const outputSchemas = componentSchemas(responses, 'output');
  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    info: {
      title: info.title,
      version: info.version,
      description:
        'jitadmin reference server API. Authenticate with the browser session (send X-CSRF-Token from GET /api/v1/me on writes) or with `Authorization: Bearer <token>` from POST /api/v1/tokens (named, 30 days by default, at most 90; listed by GET /api/v1/tokens, revoked by DELETE /api/v1/tokens/{tokenId}). Bearer tokens work on /api only; pages take only the session cookie. Each operation says who may call it: `x-access` (anyone, signed-in, or roles), `x-roles` (any one of them), `x-session-only` (not with an API token) and `x-record-check` (what is checked further on the record); docs/security.md has the whole table.',
    },
    servers: [{ url: info.serverUrl }],
    security: [{ bearer: [] }, { session: [] }],
    paths,
    components: {
      schemas: { ...outputSchemas, ...inputSchemas },
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'API token from POST /api/v1/tokens' },
        session: { type: 'apiKey', in: 'cookie', name: 'jitadmin_session' },
      },
    },
  };
}
