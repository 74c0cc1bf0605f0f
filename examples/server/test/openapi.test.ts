/** The OpenAPI 3.1 document: every route is in it, every reference resolves, and it is what the server serves. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiPath } from '../src/openapi.js';
import { startHarness, type Harness } from './helpers.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

type Doc = {
  openapi: string;
  paths: Record<string, Record<string, { operationId: string; parameters: { name: string; in: string }[]; requestBody?: { content: Record<string, { schema: unknown }> }; responses: Record<string, unknown> }>>;
  components: { schemas: Record<string, unknown> };
};

function refs(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v) => refs(v, out));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else refs(v, out);
    }
  }
  return out;
}

describe('OpenAPI document', () => {
  it('is served at /api/openapi.json as OpenAPI 3.1', async () => {
    const r = await h.call('GET', '/api/openapi.json');
    expect(r.status).toBe(200);
    const doc = r.body as Doc;
    expect(doc.openapi).toBe('3.1.0');
    expect(doc).toEqual(h.server.built.openapi);
  });

  it('has every mounted route, with its path parameters and a unique operation id', () => {
    const doc = h.server.built.openapi as unknown as Doc;
    const ids = new Set<string>();
    for (const def of h.server.built.routes) {
      const op = doc.paths[`/api/v1${openApiPath(def.path)}`]?.[def.method];
      expect(op, `${def.method} ${def.path}`).toBeDefined();
      expect(ids.has(op!.operationId)).toBe(false);
      ids.add(op!.operationId);
      for (const name of def.path.match(/:([A-Za-z0-9_]+)/g) ?? []) {
        expect(op!.parameters).toContainEqual(expect.objectContaining({ name: name.slice(1), in: 'path', required: true }));
      }
      if (def.body) expect(op!.requestBody?.content['application/json']).toBeDefined();
      expect(Object.keys(op!.responses)).toEqual(expect.arrayContaining([String(def.status ?? (def.response ? 200 : 204)), '400', '401', '404']));
    }
    const documented = Object.values(doc.paths).reduce((n, methods) => n + Object.keys(methods).length, 0);
    expect(documented).toBe(h.server.built.routes.length);
  });

  it('resolves every $ref to a component schema, and the schemas are JSON Schema objects', () => {
    const doc = h.server.built.openapi as unknown as Doc;
    const all = refs(doc);
    expect(all.length).toBeGreaterThan(10);
    for (const ref of all) {
      expect(ref).toMatch(/^#\/components\/schemas\//);
      expect(doc.components.schemas[ref.slice('#/components/schemas/'.length)], ref).toBeDefined();
    }
    for (const [name, schema] of Object.entries(doc.components.schemas)) {
      expect(typeof schema, name).toBe('object');
      expect(JSON.stringify(schema)).not.toContain('"$schema"');
    }
    const grant = doc.components.schemas.Grant as { properties: Record<string, unknown>; required: string[] };
    expect(grant.properties.state).toMatchObject({ enum: expect.arrayContaining(['active', 'closed']) });
    const requestInput = doc.components.schemas.RequestAccessInput as { required: string[] };
    expect(requestInput.required).toEqual(expect.arrayContaining(['customerId', 'roles']));
  });
});
