import { readFile } from 'node:fs/promises';
import * as prettier from 'prettier';
import { describe, expect, it } from 'vitest';
import { renderReferenceDocs } from '../../src/config/reference-docs.js';

describe('docs/configuration.md', () => {
  it('equals the reference generated from the zod schema (regenerate: hunt docs --reference -o docs/configuration.md, then prettier)', async () => {
    const options = (await prettier.resolveConfig('docs/configuration.md')) ?? {};
    const generated = await prettier.format(renderReferenceDocs(), { ...options, parser: 'markdown' });
    expect(await readFile('docs/configuration.md', 'utf8')).toBe(generated);
  });

  it('documents every top-level section and field kind', () => {
    const text = renderReferenceDocs();
    for (const heading of [
      '## Entity',
      '## Source',
      '## Event',
      '## Reducer',
      '## Connector',
      '## Retry',
      '## Rule',
      '## Action',
    ])
      expect(text).toContain(heading);
    for (const field of [
      '`successStatuses`',
      '`idempotencyHeader`',
      '`unless`',
      '`debounce`',
      '`onFailure`',
      '`rateLimit`',
    ])
      expect(text).toContain(field);
  });
});
