import { z } from 'zod';

/** An opaque record id: letters, digits, `-`, `_`, `.`; 1 to 128 characters. */
export const Id = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9._-]+$/, 'must contain only letters, digits, ".", "_" and "-"');

/** An Entra ID object, tenant or role template id. */
export const Guid = z
  .string()
  .regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, 'must be a GUID')
  .transform((s) => s.toLowerCase());

/** A UTC instant as an ISO 8601 string with milliseconds (`2026-11-26T10:00:00.000Z`). */
export const Instant = z.iso.datetime({ offset: false });
export type Instant = z.infer<typeof Instant>;

/**
 * Bidirectional embedding, override and isolate controls (U+202A–U+202E, U+2066–U+2069): they make text
 * display in another order than it was written ("Trojan Source"), so a justification could read reversed in
 * the approval queue. Right-to-left scripts need none of them.
 */
export const BIDI_CONTROLS = /[\u202a-\u202e\u2066-\u2069]/;

export const BIDI_CONTROLS_MESSAGE =
  'must not contain bidirectional control characters (U+202A–U+202E, U+2066–U+2069): they make text display in another order than it was written';

/** Removes bidirectional controls from text jitadmin did not get from a person's form (an IdP's claims). */
export const withoutBidiControls = (text: string): string => text.replace(new RegExp(BIDI_CONTROLS.source, 'g'), '');

/** Free text a person typed: trimmed, no control characters, no bidirectional controls. */
export const Text = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    // eslint-disable-next-line no-control-regex
    .regex(/^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$/, 'must not contain control characters')
    .refine((s) => !BIDI_CONTROLS.test(s), BIDI_CONTROLS_MESSAGE);

export const ISO = (ms: number): string => new Date(ms).toISOString();
export const ms = (instant: string): number => Date.parse(instant);
