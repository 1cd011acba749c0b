import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { commandModules, modulesFor, shortRunFlags } from '../../src/cli/command-modules.js';

describe('the CLI command modules', () => {
  it('each lists exactly the commands it registers, and no command is in two', async () => {
    for (const module of commandModules) {
      const program = new Command('hunt');
      (await module.load())(program);
      expect(program.commands.map((c) => c.name())).toEqual(module.commands);
    }
    const all = commandModules.flatMap((m) => m.commands);
    expect(new Set(all).size).toBe(all.length);
  });

  it('loads only the module of the command being run, none for --version, all for help or a typo', () => {
    expect(modulesFor(['validate', 'hunt.yaml']).map((m) => m.commands)).toEqual([
      ['validate', 'lint', 'graph', 'docs'],
    ]);
    expect(modulesFor(['--version'])).toEqual([]);
    expect(modulesFor(['-V'])).toEqual([]);
    expect(modulesFor([])).toBe(commandModules);
    expect(modulesFor(['--help'])).toBe(commandModules);
    expect(modulesFor(['valdate'])).toBe(commandModules);
  });

  it('raises V8 optimisation budget for the short offline commands only', () => {
    expect(shortRunFlags(modulesFor(['validate', 'hunt.yaml']))).toMatch(/^--interrupt-budget=\d+$/);
    expect(shortRunFlags(modulesFor(['docs', '--reference']))).toBeDefined();
    for (const args of [['sandbox'], ['demo'], ['send', 'x'], ['--help'], ['--version']])
      expect(shortRunFlags(modulesFor(args)), args.join(' ')).toBeUndefined();
  });
});
