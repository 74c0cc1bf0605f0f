import { type AuditDraft, type AuditEvent, canonicalJson, chainAuditEvent, verifyChain } from '@jitadmin/core';
import { makeAuditDraft } from '@jitadmin/core/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const detailValue = fc.oneof(
  fc.string({ maxLength: 10 }),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
);
const draft: fc.Arbitrary<AuditDraft> = fc.record({
  providerId: fc.constantFrom('prov-a'),
  at: fc.integer({ min: 0, max: 4e12 }).map((t) => new Date(t).toISOString()),
  actor: fc.constantFrom('system:scheduler', 'technician:t-1', 'technician:t-2'),
  action: fc.constantFrom('grant.requested', 'grant.state_changed', 'rule.updated'),
  grantId: fc.option(fc.constantFrom('g-1', 'g-2'), { nil: null }),
  customerId: fc.option(fc.constantFrom('c-1', 'c-2'), { nil: null }),
  details: fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), detailValue, { maxKeys: 4 }),
});

function chain(drafts: readonly AuditDraft[]): AuditEvent[] {
  const events: AuditEvent[] = [];
  for (const d of drafts) events.push(chainAuditEvent(events[events.length - 1] ?? null, d));
  return events;
}

const FIELDS = ['providerId', 'seq', 'at', 'actor', 'action', 'grantId', 'customerId', 'details', 'prevHash', 'hash'] as const;

/** A value of the same field that differs from the old one, also in canonical form. */
function changed(event: AuditEvent, field: (typeof FIELDS)[number], salt: number): AuditEvent {
  switch (field) {
    case 'seq':
      return { ...event, seq: event.seq + 1 + salt };
    case 'at':
      return { ...event, at: new Date(Date.parse(event.at) + 1 + salt).toISOString() };
    case 'grantId':
    case 'customerId':
      return { ...event, [field]: event[field] === null ? `x-${salt}` : null };
    case 'details': {
      const details = { ...event.details };
      const keys = Object.keys(details);
      if (keys.length === 0 || salt % 2 === 0) details[`tampered${salt}`] = salt;
      else {
        const k = keys[salt % keys.length]!;
        details[k] = canonicalJson(details[k]) === canonicalJson('x') ? 'y' : 'x';
      }
      return { ...event, details };
    }
    case 'hash':
      return { ...event, hash: event.hash.replace(/^./, (c) => (c === '0' ? '1' : '0')) };
    default:
      return { ...event, [field]: `${event[field]}x` };
  }
}

describe('audit chain', () => {
  it('chains events: seq from 1, prevHash is the previous hash, and the chain verifies', () => {
    fc.assert(
      fc.property(fc.array(draft, { minLength: 1, maxLength: 12 }), (drafts) => {
        const events = chain(drafts);
        expect(events.map((e) => e.seq)).toEqual(drafts.map((_, i) => i + 1));
        expect(events[0]!.prevHash).toBe('');
        events.slice(1).forEach((e, i) => expect(e.prevHash).toBe(events[i]!.hash));
        expect(verifyChain(events)).toEqual({ ok: true, events: events.length, brokenAt: null, reason: null });
        // Any tail verifies from its predecessor.
        const cut = Math.floor(events.length / 2);
        expect(verifyChain(events.slice(cut), events[cut - 1] ?? null).ok).toBe(true);
      }),
    );
  });

  it('hashes the same content the same way whatever the key order of details', () => {
    const a = chainAuditEvent(null, makeAuditDraft({ details: { a: 1, b: 'two' } }));
    const b = chainAuditEvent(null, makeAuditDraft({ details: { b: 'two', a: 1 } }));
    expect(a.hash).toBe(b.hash);
    expect(a.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('property: any single-field change of any event is detected, at that event', () => {
    fc.assert(
      fc.property(
        fc.array(draft, { minLength: 1, maxLength: 10 }),
        fc.nat(),
        fc.constantFrom(...FIELDS),
        fc.nat({ max: 50 }),
        (drafts, pick, field, salt) => {
          const events = chain(drafts);
          const index = pick % events.length;
          const tampered = [...events];
          tampered[index] = changed(events[index]!, field, salt);
          const result = verifyChain(tampered);
          expect(result.ok, `${field} of event ${index + 1}`).toBe(false);
          expect(result.brokenAt).toBe(tampered[index]!.seq);
          expect(result.reason).toEqual(expect.any(String));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('detects a removed, a duplicated and a reordered event', () => {
    const events = chain(Array.from({ length: 5 }, (_, i) => makeAuditDraft({ details: { i } })));
    expect(verifyChain([...events.slice(0, 2), ...events.slice(3)])).toMatchObject({ ok: false, brokenAt: 4 });
    expect(verifyChain([...events.slice(0, 3), events[2]!, ...events.slice(3)])).toMatchObject({ ok: false, brokenAt: 3 });
    expect(verifyChain([events[0]!, events[2]!, events[1]!])).toMatchObject({ ok: false, brokenAt: 3 });
    expect(verifyChain(events.slice(1))).toMatchObject({ ok: false, brokenAt: 2 });
  });
});
