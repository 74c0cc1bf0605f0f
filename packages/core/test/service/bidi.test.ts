/**
 * "Trojan Source" in free text: a justification with U+202E (right-to-left override) reads reversed in the
 * approval queue. Every free-text field refuses the bidirectional controls, with a message that says why.
 */
import {
  BIDI_CONTROLS_MESSAGE,
  Branding,
  CustomerInput,
  DecisionInput,
  ProviderInput,
  RequestAccessInput,
  RevokeInput,
  RuleInput,
  TechnicianInput,
  withoutBidiControls,
} from '@jitadmin/core';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { createWorld, ROLES } from '../support/world.js';

const CONTROLS = ['\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069'];
/** Displays as "approved by CISO, ticket 1234" while the text is something else. */
const REVERSED = 'routine check \u202e4321 tekcit ,OSIC yb devorppa\u202c';

const FIELDS: [string, z.ZodType, string][] = [
  ['justification', RequestAccessInput, 'justification'],
  ['ticket', RequestAccessInput, 'ticket'],
  ['approval comment', DecisionInput, 'comment'],
  ['revoke reason', RevokeInput, 'reason'],
  ['customer name', CustomerInput, 'name'],
  ['rule name', RuleInput, 'name'],
  ['technician display name', TechnicianInput, 'displayName'],
  ['provider name', ProviderInput, 'name'],
  ['branding name', Branding, 'name'],
];

describe('bidirectional control characters in free text', () => {
  it.each(FIELDS)('the %s refuses every one of them, saying why', (_what, schema, field) => {
    for (const control of CONTROLS) {
      const result = schema.safeParse({ [field]: `a${control}b` });
      expect(result.success).toBe(false);
      const issue = result.error!.issues.find((i) => i.path.join('.') === field);
      expect(issue?.message, `${field} with U+${control.codePointAt(0)!.toString(16)}`).toBe(BIDI_CONTROLS_MESSAGE);
    }
    // Right-to-left text itself (Hebrew, Arabic) and the invisible marks it may carry (U+200F) are fine.
    const rtl = schema.safeParse({ [field]: 'שלום \u200fمرحبا' });
    expect(rtl.success ? [] : rtl.error.issues.filter((i) => i.path.join('.') === field)).toEqual([]);
  });

  it('a request with a reversed justification is refused with a VALIDATION_FAILED naming the field, and nothing is written', async () => {
    const w = await createWorld();
    const before = await w.store.listGrants(w.tech.providerId);
    const error = await w.jit
      .requestAccess(w.tech, { customerId: 'cust-1', roles: [ROLES.helpdesk], durationMinutes: 30, justification: REVERSED })
      .then(() => null, (e: unknown) => e);
    expect(error).toMatchObject({ code: 'VALIDATION_FAILED', field: 'justification' });
    expect((error as Error).message).toContain('bidirectional control characters');
    expect((await w.store.listGrants(w.tech.providerId)).items).toHaveLength(before.items.length);
  });

  it('withoutBidiControls strips them from text that is not a person\'s input (IdP claims)', () => {
    expect(withoutBidiControls(`Mallory${CONTROLS.join('')} Admin`)).toBe('Mallory Admin');
  });
});
