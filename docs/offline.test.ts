import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { offline } from './examples/offline.js';

describe('docs/embedding.md, the offline recipe', () => {
  it('shows the example file verbatim', () => {
    const doc = readFileSync(new URL('./embedding.md', import.meta.url), 'utf8');
    const example = readFileSync(new URL('./examples/offline.ts', import.meta.url), 'utf8');
    expect(doc).toContain(example.trim());
  });

  it('runs the real Entra adapter against the fake Entra ID over an embedded store', async () => {
    const result = await offline();
    expect(result.connection).toBe('connected');
    expect(result.upn).toMatch(/^jitadmin-/);
    expect(result.roles).toEqual(['729827e3-9c14-49f7-bb1b-9608f156bbb8']);
    expect(result.state).toBe('closed');
  }, 240_000); // PGlite starts in WebAssembly: seconds, more on a busy machine
});
