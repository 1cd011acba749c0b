import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSettings, SettingsError } from '../../src/settings/settings.js';

describe('loadSettings', () => {
  it('applies defaults for an empty environment and runs the embedded server', () => {
    const settings = loadSettings({}, '/work/app');
    expect(settings.embedded).toBe(true);
    expect(settings.temporalAddress).toBe('127.0.0.1:7233');
    expect(settings.HUNT_PORT).toBe(3000);
    expect(settings.TEMPORAL_DEV_UI_PORT).toBe(8233);
    expect(settings.stateDir).toBe(path.resolve('/work/app', '.hunt'));
    expect(settings.configPath).toBe(path.resolve('/work/app', 'examples/treasure-hunt/hunt.yaml'));
  });

  it('connects to TEMPORAL_ADDRESS instead of starting a server', () => {
    const settings = loadSettings({ TEMPORAL_ADDRESS: 'temporal:7233', TEMPORAL_NAMESPACE: 'prod' });
    expect(settings.embedded).toBe(false);
    expect(settings.temporalAddress).toBe('temporal:7233');
    expect(settings.TEMPORAL_NAMESPACE).toBe('prod');
  });

  it('takes the worker thread count for workflow code, unset by default (the worker picks)', () => {
    expect(loadSettings({}).HUNT_WORKFLOW_THREADS).toBeUndefined();
    expect(loadSettings({ HUNT_WORKFLOW_THREADS: '4' }).HUNT_WORKFLOW_THREADS).toBe(4);
  });

  it('treats empty strings as unset', () => {
    expect(loadSettings({ HUNT_PORT: '', TEMPORAL_ADDRESS: '' }).HUNT_PORT).toBe(3000);
  });

  it.each([
    ['HUNT_PORT', 'not-a-port'],
    ['HUNT_PORT', '70000'],
    ['LOG_LEVEL', 'loud'],
    ['TEMPORAL_ADDRESS', 'http://temporal:7233'],
    ['HUNT_TASK_QUEUE', 'has spaces'],
    ['TEMPORAL_TLS', 'maybe'],
    ['HUNT_ROLE', 'everything'],
    ['HUNT_WORKFLOW_THREADS', '0'],
    ['HUNT_WORKFLOW_THREADS', '1.5'],
  ])('names %s when its value %j is wrong', (variable, value) => {
    let error: unknown;
    try {
      loadSettings({ [variable]: value });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(SettingsError);
    expect((error as SettingsError).code).toBe('SETTINGS_INVALID');
    expect((error as SettingsError).problems.map((p) => p.variable)).toContain(variable);
    expect((error as Error).message).toContain(`${variable}:`);
  });

  it('reports every wrong variable at once', () => {
    expect(() => loadSettings({ HUNT_PORT: 'x', LOG_LEVEL: 'y' })).toThrow(
      /HUNT_PORT[\s\S]*LOG_LEVEL|LOG_LEVEL[\s\S]*HUNT_PORT/,
    );
  });

  it('requires the mTLS certificate and key together', () => {
    expect(() => loadSettings({ TEMPORAL_TLS_CERT_PATH: '/tmp/cert.pem' })).toThrow(/TEMPORAL_TLS_KEY_PATH/);
  });
});
