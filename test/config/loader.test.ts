import { describe, expect, it } from 'vitest';
import { loadConfigText } from '../../src/config/loader.js';

describe('loadConfigText', () => {
  const text = 'name: x\nrules:\n  - id: a\n    on: [one, two]\n  - { id: b, on: three }\n';

  it('locates values and keys by path, falling back to the nearest ancestor', () => {
    const doc = loadConfigText(text, 'x.yaml');
    expect(doc.problems).toEqual([]);
    expect(doc.locate(['rules', 0, 'on', 1])).toEqual({ line: 4, column: 15 });
    expect(doc.locate(['rules', 1, 'on'], { key: true })).toEqual({ line: 5, column: 14 });
    expect(doc.locate(['rules', 1, 'missing'])).toEqual({ line: 5, column: 5 });
    expect(doc.locate([])).toEqual({ line: 1, column: 1 });
  });

  it('reads JSON with positions', () => {
    const doc = loadConfigText('{\n  "name": "x",\n  "rules": [{ "id": 1 }]\n}', 'x.json');
    expect(doc.value).toEqual({ name: 'x', rules: [{ id: 1 }] });
    expect(doc.locate(['rules', 0, 'id'])).toEqual({ line: 3, column: 21 });
  });

  it('reports syntax errors and duplicate keys with line and column, and no value', () => {
    const bad = loadConfigText('name: x\nentities:\n  team: { key: data.teamId\nsources: {}\n', 'bad.yaml');
    expect(bad.value).toBeUndefined();
    expect(bad.problems[0]).toMatchObject({
      file: 'bad.yaml',
      path: '(document)',
      severity: 'error',
      line: 4,
      column: 1,
    });
    const duplicate = loadConfigText('name: x\nname: y\n', 'dup.yaml');
    expect(duplicate.problems[0]).toMatchObject({ line: 2, column: 1, message: expect.stringMatching(/unique/) });
  });

  it('caps alias expansion', () => {
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      ...Array.from(
        { length: 8 },
        (_, i) =>
          `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}]`,
      ),
    ].join('\n');
    const doc = loadConfigText(bomb, 'bomb.yaml');
    expect(doc.value).toBeUndefined();
    expect(doc.problems).toEqual([expect.objectContaining({ severity: 'error' })]);
  });
});
