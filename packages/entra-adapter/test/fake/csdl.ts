/**
 * A small reader of Microsoft Graph's v1.0 CSDL (the MIT-licensed `fixtures/graph-v1.0.csdl.xml.gz`, the same
 * file as GRAPH.md's `graph/graph-v1.0.csdl.xml`): entity and complex types of the `microsoft.graph`
 * namespace with their properties, BaseType inheritance resolved.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

export interface CsdlProperty {
  type: string;
  navigation: boolean;
}

let cache: Map<string, { base: string | null; props: Record<string, CsdlProperty> }> | null = null;

function load(): Map<string, { base: string | null; props: Record<string, CsdlProperty> }> {
  if (cache) return cache;
  const xml = gunzipSync(readFileSync(new URL('./fixtures/graph-v1.0.csdl.xml.gz', import.meta.url))).toString('utf8');
  const start = xml.indexOf('<Schema Namespace="microsoft.graph"');
  const schema = xml.slice(start, xml.indexOf('</Schema>', start));
  const types = new Map<string, { base: string | null; props: Record<string, CsdlProperty> }>();
  const re = /<(EntityType|ComplexType) Name="([^"]+)"([^>]*?)(\/?)>/g;
  for (let m = re.exec(schema); m; m = re.exec(schema)) {
    const [, kind, name, attrs, selfClose] = m as unknown as [string, string, string, string, string];
    const base = /BaseType="(?:graph\.|microsoft\.graph\.)([^"]+)"/.exec(attrs)?.[1] ?? null;
    const body = selfClose ? '' : schema.slice(m.index, schema.indexOf(`</${kind}>`, m.index));
    const props: Record<string, CsdlProperty> = {};
    for (const p of body.matchAll(/<(Property|NavigationProperty) Name="([^"]+)" Type="([^"]+)"/g)) {
      props[p[2] as string] = { type: p[3] as string, navigation: p[1] === 'NavigationProperty' };
    }
    types.set(name, { base, props });
  }
  cache = types;
  return types;
}

/** Every property of a `microsoft.graph` type, inherited ones included. */
export function propertiesOf(typeName: string): Record<string, CsdlProperty> {
  const t = load().get(typeName);
  if (!t) throw new Error(`CSDL has no type microsoft.graph.${typeName}`);
  return { ...(t.base ? propertiesOf(t.base) : {}), ...t.props };
}
