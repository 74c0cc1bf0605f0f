import { GraphFault, badRequest, unsupportedQuery } from './graph-error.js';

/** A parsed `$filter` expression: the subset of OData Graph supports on directory objects. */
export type FilterNode =
  | { kind: 'cmp'; prop: string; op: 'eq' | 'ne' | 'ge' | 'le' | 'gt' | 'lt'; value: Literal }
  | { kind: 'fn'; fn: 'startswith' | 'endswith'; prop: string; value: Literal }
  | { kind: 'in'; prop: string; values: Literal[] }
  | { kind: 'and' | 'or'; left: FilterNode; right: FilterNode }
  | { kind: 'not'; expr: FilterNode }
  /** `collection/any(x: x/prop eq 'v')`: inside, property paths start with the variable. */
  | { kind: 'any'; prop: string; variable: string; expr: FilterNode };

type Literal = string | number | boolean | null;

type Token = { t: 'id'; v: string } | { t: 'str'; v: string } | { t: 'num'; v: number } | { t: 'punct'; v: '(' | ')' | ',' | ':' };

const invalid = (text: string): GraphFault => badRequest(`Invalid filter clause: syntax error in '${text}'.`, 'BadRequest');

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '(' || c === ')' || c === ',' || c === ':') {
      out.push({ t: 'punct', v: c });
      i++;
    } else if (c === "'") {
      let s = '';
      i++;
      for (;;) {
        if (i >= text.length) throw invalid(text);
        if (text[i] === "'") {
          if (text[i + 1] === "'") {
            s += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        s += text[i];
        i++;
      }
      out.push({ t: 'str', v: s });
    } else if (/[-0-9]/.test(c) && /^-?\d/.test(text.slice(i))) {
      const m = /^-?\d+(\.\d+)?/.exec(text.slice(i)) as RegExpExecArray;
      out.push({ t: 'num', v: Number(m[0]) });
      i += m[0].length;
    } else if (/[A-Za-z_$]/.test(c)) {
      const m = /^[A-Za-z_$][A-Za-z0-9_./$]*/.exec(text.slice(i)) as RegExpExecArray;
      out.push({ t: 'id', v: m[0] });
      i += m[0].length;
    } else {
      throw invalid(text);
    }
  }
  return out;
}

/** Parses a `$filter`; a syntax error is Graph's 400 BadRequest "Invalid filter clause". */
export function parseFilter(text: string): FilterNode {
  const toks = tokenize(text);
  let pos = 0;
  const peek = (): Token | undefined => toks[pos];
  const isKw = (tok: Token | undefined, kw: string): boolean => tok?.t === 'id' && tok.v.toLowerCase() === kw;
  const expectPunct = (v: string): void => {
    const tok = toks[pos++];
    if (tok?.t !== 'punct' || tok.v !== v) throw invalid(text);
  };
  const literal = (): Literal => {
    const tok = toks[pos++];
    if (!tok) throw invalid(text);
    if (tok.t === 'str' || tok.t === 'num') return tok.v;
    if (tok.t === 'id') {
      const v = tok.v.toLowerCase();
      if (v === 'true') return true;
      if (v === 'false') return false;
      if (v === 'null') return null;
      // Unquoted GUIDs are not literals in OData v4; Graph rejects them too.
    }
    throw invalid(text);
  };
  const propName = (): string => {
    const tok = toks[pos++];
    if (tok?.t !== 'id') throw invalid(text);
    return tok.v;
  };
  const primary = (): FilterNode => {
    const tok = peek();
    if (!tok) throw invalid(text);
    if (tok.t === 'punct' && tok.v === '(') {
      pos++;
      const e = orExpr();
      expectPunct(')');
      return e;
    }
    if (tok.t === 'id' && /\/any$/i.test(tok.v) && toks[pos + 1]?.t === 'punct') {
      pos++;
      expectPunct('(');
      const variable = propName();
      expectPunct(':');
      const expr = orExpr();
      expectPunct(')');
      return { kind: 'any', prop: tok.v.replace(/\/any$/i, ''), variable, expr };
    }
    if (isKw(tok, 'not')) {
      pos++;
      return { kind: 'not', expr: primary() };
    }
    if (tok.t === 'id' && (isKw(tok, 'startswith') || isKw(tok, 'endswith')) && toks[pos + 1]?.t === 'punct') {
      pos++;
      expectPunct('(');
      const prop = propName();
      expectPunct(',');
      const value = literal();
      expectPunct(')');
      return { kind: 'fn', fn: tok.v.toLowerCase() as 'startswith' | 'endswith', prop, value };
    }
    const prop = propName();
    const opTok = toks[pos++];
    if (opTok?.t !== 'id') throw invalid(text);
    const op = opTok.v.toLowerCase();
    if (op === 'in') {
      expectPunct('(');
      const values: Literal[] = [literal()];
      while (peek()?.t === 'punct' && (peek() as { v: string }).v === ',') {
        pos++;
        values.push(literal());
      }
      expectPunct(')');
      return { kind: 'in', prop, values };
    }
    if (!['eq', 'ne', 'ge', 'le', 'gt', 'lt'].includes(op)) throw invalid(text);
    return { kind: 'cmp', prop, op: op as 'eq', value: literal() };
  };
  const andExpr = (): FilterNode => {
    let left = primary();
    while (isKw(peek(), 'and')) {
      pos++;
      left = { kind: 'and', left, right: primary() };
    }
    return left;
  };
  const orExpr = (): FilterNode => {
    let left = andExpr();
    while (isKw(peek(), 'or')) {
      pos++;
      left = { kind: 'or', left, right: andExpr() };
    }
    return left;
  };
  if (toks.length === 0) throw invalid(text);
  const node = orExpr();
  if (pos !== toks.length) throw invalid(text);
  return node;
}

export interface FilterRules {
  /** Resource name in error messages, e.g. `User`. */
  resource: string;
  /** Filterable properties: lower-case name → canonical name. */
  properties: Record<string, string>;
  /** `ConsistencyLevel: eventual` was sent. */
  advanced: boolean;
}

/**
 * Checks what Graph checks before running a filter: known, filterable properties (400 Request_UnsupportedQuery
 * otherwise), and `ne`, `not` and `endsWith` only as advanced queries. Returns the node with canonical names.
 */
export function checkFilter(node: FilterNode, rules: FilterRules): FilterNode {
  const canon = (prop: string): string => {
    const name = rules.properties[prop.toLowerCase()];
    if (!name) {
      throw unsupportedQuery(
        `Unsupported or invalid query filter clause specified for property '${prop}' of resource '${rules.resource}'.`,
      );
    }
    return name;
  };
  const needsAdvanced = (): never => {
    throw unsupportedQuery('Unsupported Query.');
  };
  switch (node.kind) {
    case 'and':
    case 'or':
      return { ...node, left: checkFilter(node.left, rules), right: checkFilter(node.right, rules) };
    case 'not':
      if (!rules.advanced) needsAdvanced();
      return { ...node, expr: checkFilter(node.expr, rules) };
    case 'any':
      // The lambda's inner paths (`t/id`) are checked against `collection/…` entries of the rules.
      return {
        ...node,
        prop: canon(node.prop),
        expr: checkFilter(renameVariable(node.expr, node.variable, node.prop), rules),
      };
    case 'fn':
      if (node.fn === 'endswith' && !rules.advanced) needsAdvanced();
      return { ...node, prop: canon(node.prop) };
    case 'in':
      return { ...node, prop: canon(node.prop) };
    case 'cmp':
      if (node.op === 'ne' && !rules.advanced) needsAdvanced();
      return { ...node, prop: canon(node.prop) };
  }
}

/** Rewrites `t/id` inside `coll/any(t: …)` to `coll/id`, so rules and getters see one path form. */
function renameVariable(node: FilterNode, variable: string, prop: string): FilterNode {
  const fix = (p: string): string => (p.startsWith(`${variable}/`) ? `${prop}/${p.slice(variable.length + 1)}` : p);
  switch (node.kind) {
    case 'and':
    case 'or':
      return { ...node, left: renameVariable(node.left, variable, prop), right: renameVariable(node.right, variable, prop) };
    case 'not':
      return { ...node, expr: renameVariable(node.expr, variable, prop) };
    case 'any':
      return node;
    default:
      return { ...node, prop: fix(node.prop) };
  }
}

const norm = (v: unknown): unknown => (typeof v === 'string' ? v.toLowerCase() : v);

/** Directory string comparisons are case-insensitive. */
export function evalFilter(node: FilterNode, get: (prop: string) => unknown): boolean {
  switch (node.kind) {
    case 'and':
      return evalFilter(node.left, get) && evalFilter(node.right, get);
    case 'or':
      return evalFilter(node.left, get) || evalFilter(node.right, get);
    case 'not':
      return !evalFilter(node.expr, get);
    case 'any': {
      const items = get(node.prop);
      if (!Array.isArray(items)) return false;
      const prefix = `${node.prop}/`;
      return items.some((item) =>
        evalFilter(node.expr, (p) =>
          p.startsWith(prefix)
            ? p.slice(prefix.length).split('/').reduce<unknown>((o, seg) => (o as Record<string, unknown> | null)?.[seg], item)
            : get(p),
        ),
      );
    }
    case 'in': {
      const v = norm(get(node.prop));
      return node.values.some((x) => norm(x) === v);
    }
    case 'fn': {
      const v = get(node.prop);
      if (typeof v !== 'string' || typeof node.value !== 'string') return false;
      const a = v.toLowerCase();
      const b = node.value.toLowerCase();
      return node.fn === 'startswith' ? a.startsWith(b) : a.endsWith(b);
    }
    case 'cmp': {
      const a = norm(get(node.prop) ?? null);
      const b = norm(node.value);
      switch (node.op) {
        case 'eq':
          return a === b;
        case 'ne':
          return a !== b;
        default: {
          if (a === null || b === null) return false;
          const x = a as string | number;
          const y = b as string | number;
          return node.op === 'gt' ? x > y : node.op === 'ge' ? x >= y : node.op === 'lt' ? x < y : x <= y;
        }
      }
    }
  }
}

/** `$top`: 1 to 999, default 100. */
export function parseTop(query: URLSearchParams, fallback = 100, max = 999): number {
  const raw = query.get('$top');
  if (raw === null) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw badRequest(`Invalid page size specified: '${raw}'. Must be between 1 and ${max} inclusive.`, 'Request_UnsupportedQuery');
  }
  return n;
}

/** `$select` as a list of canonical property names; an unknown name is 400 as in Graph. */
export function parseSelect(query: URLSearchParams, properties: readonly string[], typeName: string): string[] | null {
  const raw = query.get('$select');
  if (raw === null || raw.trim() === '') return null;
  const byLower = new Map(properties.map((p) => [p.toLowerCase(), p]));
  return raw.split(',').map((s) => {
    const name = byLower.get(s.trim().toLowerCase());
    if (!name) throw badRequest(`Could not find a property named '${s.trim()}' on type '${typeName}'.`, 'BadRequest');
    return name;
  });
}

/** An opaque `$skiptoken`: the last key of the previous page, wrapped so it looks like Graph's. */
export function encodeSkipToken(lastKey: string): string {
  return `RFNwdAIA${Buffer.from(`1|${lastKey}`, 'utf8').toString('base64url')}`;
}

export function decodeSkipToken(token: string): string {
  if (token.startsWith('RFNwdAIA')) {
    const inner = Buffer.from(token.slice(8), 'base64url').toString('utf8');
    if (inner.startsWith('1|')) return inner.slice(2);
  }
  throw badRequest('Invalid value specified for $skiptoken.', 'Request_BadRequest');
}

/**
 * One page of `items` (sorted by `key`) after the `$skiptoken`, and the `@odata.nextLink` (the same URL with a
 * new `$skiptoken`) when more remain.
 */
export function pageOf<T>(items: readonly T[], key: (t: T) => string, url: URL, top: number): { page: T[]; nextLink: string | null } {
  const token = url.searchParams.get('$skiptoken');
  let start = 0;
  if (token !== null) {
    const after = decodeSkipToken(token);
    start = items.findIndex((t) => key(t) > after);
    if (start < 0) start = items.length;
  }
  const page = items.slice(start, start + top);
  if (start + top >= items.length || page.length === 0) return { page, nextLink: null };
  // Built by hand: URLSearchParams would turn `$` into `%24`, and Graph's nextLinks keep it.
  const kept = url.search
    .replace(/^\?/, '')
    .split('&')
    .filter((kv) => kv !== '' && !/^(\$|%24)skiptoken=/i.test(kv));
  kept.push(`$skiptoken=${encodeSkipToken(key(page[page.length - 1] as T))}`);
  return { page, nextLink: `${url.origin}${url.pathname}?${kept.join('&')}` };
}
