import { describe, expect, it } from 'vitest';
import { ConnectorConfigError, createEnvResolver, envNamesOf } from '../../activities/connector-env.js';
import { SecretScrubber } from '../../activities/http-secrets.js';

describe('envNamesOf', () => {
  it('finds env.NAME and env["NAME"] references', () => {
    expect(envNamesOf('env.A + env["B_2"] + env[\'C\']')).toEqual(['A', 'B_2', 'C']);
    expect(envNamesOf('state.env.x')).toEqual(['x']);
    expect(envNamesOf('environment.X')).toEqual([]);
  });
});

describe('createEnvResolver', () => {
  it('resolves env placeholders deep in a template and registers their values as secrets', () => {
    const scrubber = new SecretScrubber();
    const resolve = createEnvResolver({ TOKEN: 'tok-1234', PORT: '8080' }, scrubber);
    const out = resolve({ a: ['x {{ env.TOKEN }} y'], b: '{{ env.PORT }}', c: 3, d: null }, 'here');
    expect(out).toEqual({ a: ['x tok-1234 y'], b: '8080', c: 3, d: null });
    expect(scrubber.scrub('tok-1234 8080')).toBe('[env.TOKEN] [env.PORT]');
  });

  it('evaluates CEL over env values', () => {
    const resolve = createEnvResolver({ HOST: 'example.org' }, new SecretScrubber());
    expect(resolve('{{ "https://" + env.HOST }}', 'url')).toBe('https://example.org');
  });

  it('names the variable and the place when a variable is missing', () => {
    const resolve = createEnvResolver({}, new SecretScrubber());
    expect(() => resolve({ h: '{{ env.NOPE }}' }, 'connector "x" header')).toThrow(ConnectorConfigError);
    expect(() => resolve({ h: '{{ env.NOPE }}' }, 'connector "x" header')).toThrow(/connector "x" header\.h: .*NOPE/);
  });
});
