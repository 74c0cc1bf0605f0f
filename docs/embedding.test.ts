import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { main } from './examples/embedding.js';

describe('docs/embedding.md', () => {
  it('shows the example file verbatim', () => {
    const doc = readFileSync(new URL('./embedding.md', import.meta.url), 'utf8');
    const example = readFileSync(new URL('./examples/embedding.ts', import.meta.url), 'utf8');
    expect(doc).toContain(example.trim());
  });

  it('runs request → approve → active → expire', async () => {
    const result = await main();
    expect(result.state).toBe('closed');
    expect(result.upn).toMatch(/^jitadmin-/);
    expect(result.account).toMatchObject({ deleted: true, enabled: false });
  });
});
