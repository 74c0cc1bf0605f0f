/**
 * A small reader for Microsoft Graph's CSDL (`$metadata`): the structured types (entity and complex) of the
 * `microsoft.graph` namespace with their properties, base types and enums, and a checker that a JSON body
 * uses only properties its type knows, with values of the declared kind.
 */

export interface CsdlType {
  kind: 'entity' | 'complex';
  base: string | null;
  open: boolean;
  /** Property name → type (`Edm.String`, `graph.passwordProfile`, `Collection(Edm.String)` …). */
  properties: Record<string, string>;
  navigation: string[];
}

export interface CsdlModel {
  types: Record<string, CsdlType>;
  enums: Record<string, string[]>;
}

const attr = (tag: string, name: string) => new RegExp(`\\b${name}="([^"]*)"`).exec(tag)?.[1] ?? null;
const local = (qualified: string) => qualified.replace(/^(graph|microsoft\.graph)\./, '');

/** Parses the `microsoft.graph` schema of a CSDL document. */
export function parseCsdl(xml: string): CsdlModel {
  const start = xml.indexOf('<Schema Namespace="microsoft.graph"');
  const end = xml.indexOf('</Schema>', start);
  if (start < 0 || end < 0) throw new Error('no microsoft.graph schema in the CSDL');
  const schema = xml.slice(start, end);
  const model: CsdlModel = { types: {}, enums: {} };
  const block = /<(EntityType|ComplexType|EnumType)\b([^>]*?)(\/>|>([\s\S]*?)<\/\1>)/g;
  for (const m of schema.matchAll(block)) {
    const [, element, attrs = '', , body = ''] = m;
    const name = attr(attrs, 'Name');
    if (!name) continue;
    if (element === 'EnumType') {
      model.enums[name] = [...body.matchAll(/<Member\b[^>]*\bName="([^"]+)"/g)].map((x) => x[1] as string);
      continue;
    }
    const properties: Record<string, string> = {};
    for (const p of body.matchAll(/<Property\b([^>]*)\/?>/g)) {
      const pn = attr(p[1] ?? '', 'Name');
      const pt = attr(p[1] ?? '', 'Type');
      if (pn && pt) properties[pn] = pt;
    }
    const navigation = [...body.matchAll(/<NavigationProperty\b[^>]*\bName="([^"]+)"/g)].map((x) => x[1] as string);
    const base = attr(attrs, 'BaseType');
    model.types[name] = {
      kind: element === 'EntityType' ? 'entity' : 'complex',
      base: base ? local(base) : null,
      open: attr(attrs, 'OpenType') === 'true',
      properties,
      navigation,
    };
  }
  return model;
}

/** The model restricted to these types and everything they reach (bases, property types, enums). */
export function subset(model: CsdlModel, roots: readonly string[]): CsdlModel {
  const out: CsdlModel = { types: {}, enums: {} };
  const queue = [...roots];
  while (queue.length > 0) {
    const name = queue.pop() as string;
    if (out.types[name] || out.enums[name]) continue;
    if (model.enums[name]) {
      out.enums[name] = model.enums[name];
      continue;
    }
    const t = model.types[name];
    if (!t) continue;
    out.types[name] = t;
    if (t.base) queue.push(t.base);
    for (const type of Object.values(t.properties)) {
      const inner = type.replace(/^Collection\((.*)\)$/, '$1');
      if (!inner.startsWith('Edm.')) queue.push(local(inner));
    }
  }
  return out;
}

/** Every property of a type, its bases' included. */
function allProperties(model: CsdlModel, name: string): Record<string, string> {
  const t = model.types[name];
  if (!t) throw new Error(`unknown type ${name}`);
  return { ...(t.base ? allProperties(model, t.base) : {}), ...t.properties };
}

/** Problems with `value` as an instance of `typeName` (empty when it conforms). */
export function checkBody(model: CsdlModel, typeName: string, value: unknown, path = typeName): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [`${path}: not an object`];
  const props = allProperties(model, typeName);
  const problems: string[] = [];
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (key.startsWith('@odata.')) continue;
    const type = props[key];
    if (!type) {
      problems.push(`${path}.${key}: not a property of microsoft.graph.${typeName}`);
      continue;
    }
    problems.push(...checkValue(model, type, v, `${path}.${key}`));
  }
  return problems;
}

function checkValue(model: CsdlModel, type: string, v: unknown, path: string): string[] {
  if (v === null) return [];
  const collection = /^Collection\((.*)\)$/.exec(type);
  if (collection) {
    if (!Array.isArray(v)) return [`${path}: expected a collection`];
    return v.flatMap((item, i) => checkValue(model, collection[1] as string, item, `${path}[${i}]`));
  }
  switch (type) {
    case 'Edm.String':
      return typeof v === 'string' ? [] : [`${path}: expected a string`];
    case 'Edm.Boolean':
      return typeof v === 'boolean' ? [] : [`${path}: expected a boolean`];
    case 'Edm.Int32':
    case 'Edm.Int64':
      return Number.isInteger(v) ? [] : [`${path}: expected an integer`];
    case 'Edm.DateTimeOffset':
      return typeof v === 'string' && !Number.isNaN(Date.parse(v)) ? [] : [`${path}: expected a DateTimeOffset`];
    case 'Edm.Duration':
      return typeof v === 'string' && /^-?P/.test(v) ? [] : [`${path}: expected an ISO 8601 duration`];
    case 'Edm.Guid':
      return typeof v === 'string' && /^[0-9a-f-]{36}$/i.test(v) ? [] : [`${path}: expected a GUID`];
  }
  const name = local(type);
  if (model.enums[name]) return model.enums[name].includes(v as string) ? [] : [`${path}: ${String(v)} is not a member of ${name}`];
  if (model.types[name]) return checkBody(model, name, v, path);
  return [`${path}: type ${type} not in the model`];
}
