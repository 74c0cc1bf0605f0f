import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, JitError, httpStatusFor } from '@jitadmin/core';

const doc = readFileSync(new URL('../../../../docs/errors.md', import.meta.url), 'utf8');

describe('docs/errors.md', () => {
  it.each(ERROR_CODES)('documents %s under its anchor with its HTTP status', (code) => {
    const section = doc.split(/^#+ /m).find((s) => s.startsWith(code) || s.toLowerCase().startsWith(code.toLowerCase()));
    expect(section, `no heading for ${code}`).toBeDefined();
    expect(section).toContain(String(httpStatusFor(code)));
    expect(new JitError(code, 'x').docs).toMatch(new RegExp(`#${code.toLowerCase()}$`));
  });

  it('maps what the caller can fix to 4xx and the rest to 5xx', () => {
    for (const code of ERROR_CODES) {
      const status = httpStatusFor(code);
      expect(status >= 400 && status < 600).toBe(true);
    }
    expect(httpStatusFor('VALIDATION_FAILED')).toBe(400);
    expect(httpStatusFor('NOT_FOUND')).toBe(404);
    expect(httpStatusFor('VERSION_CONFLICT')).toBe(409);
  });
});
