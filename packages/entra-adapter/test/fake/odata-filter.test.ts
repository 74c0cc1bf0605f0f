import fc from 'fast-check';
import { expect, it } from 'vitest';
import { checkFilter, evalFilter, parseFilter, type FilterNode } from '../../src/testing/odata.js';

/** Filters are generated as trees, written as text the way a client would, and must parse back to the tree. */
const prop = fc.constantFrom('displayName', 'employeeType', 'userPrincipalName');
const value = fc.string({ unit: fc.constantFrom('a', 'B', "'", ' ', 'é', '-', '@'), maxLength: 6 });
const leaf: fc.Arbitrary<FilterNode> = fc.oneof(
  fc.record({ kind: fc.constant('cmp' as const), prop, op: fc.constantFrom('eq' as const, 'ne' as const), value }),
  fc.record({ kind: fc.constant('fn' as const), fn: fc.constantFrom('startswith' as const, 'endswith' as const), prop, value }),
  fc.record({ kind: fc.constant('in' as const), prop, values: fc.array(value, { minLength: 1, maxLength: 3 }) }),
);
const tree: fc.Arbitrary<FilterNode> = fc.letrec<{ node: FilterNode }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.record({ kind: fc.constantFrom('and' as const, 'or' as const), left: tie('node'), right: tie('node') }),
    fc.record({ kind: fc.constant('not' as const), expr: tie('node') }),
  ),
})).node;

const lit = (v: unknown): string => (typeof v === 'string' ? `'${v.replace(/'/g, "''")}'` : String(v));
function write(n: FilterNode): string {
  switch (n.kind) {
    case 'cmp':
      return `${n.prop} ${n.op} ${lit(n.value)}`;
    case 'fn':
      return `${n.fn === 'startswith' ? 'startsWith' : 'endsWith'}(${n.prop},${lit(n.value)})`;
    case 'in':
      return `${n.prop} in (${n.values.map(lit).join(', ')})`;
    case 'and':
    case 'or':
      return `(${write(n.left)}) ${n.kind} (${write(n.right)})`;
    case 'not':
      return `not (${write(n.expr)})`;
    case 'any':
      throw new Error('not generated');
  }
}

it('parses what it is given, quotes and precedence included, and evaluates case-insensitively', () => {
  const record = fc.record({ displayName: value, employeeType: fc.option(value, { nil: null }), userPrincipalName: value });
  fc.assert(
    fc.property(tree, fc.array(record, { maxLength: 5 }), (node, records) => {
      const parsed = parseFilter(write(node));
      expect(parsed).toEqual(node);
      for (const r of records) {
        const upper = Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'string' ? v.toUpperCase() : v]));
        // Directory comparisons ignore case: the parsed filter over upper-cased values agrees with the tree over the originals.
        expect(evalFilter(parsed, (p) => upper[p])).toBe(evalFilter(node, (p) => r[p as keyof typeof r]));
      }
    }),
    { numRuns: 300 },
  );
});

it("'and' binds tighter than 'or', as in OData", () => {
  const n = parseFilter("displayName eq 'a' or displayName eq 'b' and employeeType eq 'c'");
  expect(n.kind).toBe('or');
  const get = (r: Record<string, string>) => (p: string) => r[p];
  expect(evalFilter(n, get({ displayName: 'a', employeeType: 'x' }))).toBe(true);
  expect(evalFilter(n, get({ displayName: 'b', employeeType: 'x' }))).toBe(false);
});

it('advanced operators are refused without the advanced query parameters, anywhere in the tree', () => {
  const rules = (advanced: boolean) => ({
    resource: 'User',
    properties: { displayname: 'displayName', employeetype: 'employeeType', userprincipalname: 'userPrincipalName' },
    advanced,
  });
  const usesAdvanced = (n: FilterNode): boolean =>
    n.kind === 'not' ||
    (n.kind === 'cmp' && n.op === 'ne') ||
    (n.kind === 'fn' && n.fn === 'endswith') ||
    ((n.kind === 'and' || n.kind === 'or') && (usesAdvanced(n.left) || usesAdvanced(n.right)));
  fc.assert(
    fc.property(tree, (node) => {
      expect(() => checkFilter(node, rules(true))).not.toThrow();
      if (usesAdvanced(node)) expect(() => checkFilter(node, rules(false))).toThrow(/Unsupported Query/);
      else expect(() => checkFilter(node, rules(false))).not.toThrow();
    }),
    { numRuns: 300 },
  );
});
