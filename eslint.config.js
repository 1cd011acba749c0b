// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

/** Modules that break determinism or bloat the workflow bundle; forbidden in workflows/ and src/rules/. */
const deterministicRestrictions = {
  paths: [
    {
      name: 'pino',
      message: 'No logging library in deterministic code: use the workflow log from @temporalio/workflow.',
    },
    { name: 'zod', message: 'No zod in the workflow bundle: validate at the edge (ingest, config load).' },
    { name: 'crypto', message: 'No Node built-ins in deterministic code.' },
  ],
  patterns: [
    { group: ['node:*'], message: 'No Node built-ins in deterministic code.' },
    {
      group: ['fs', 'path', 'os', 'http', 'https', 'net', 'child_process', 'timers', 'worker_threads'],
      message: 'No Node built-ins in deterministic code.',
    },
    {
      group: ['**/activities/*'],
      message: 'Workflows import activities as types only.',
      allowTypeImports: true,
    },
  ],
};

export default tseslint.config(
  { ignores: ['node_modules/**', '.hunt/**', 'coverage/**', 'dist/**', 'bench/results/**', 'docs/images/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['*.js', 'bin/*.js'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      '@typescript-eslint/require-await': 'off',
      // A switch over a closed set (a literal union, an enum) names every member, so adding one is a type error
      // wherever it is not handled yet; a `default` does not stand in for the missing cases.
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: false }],
    },
  },
  {
    // src/contract is imported by the workflows too: the same fence.
    files: ['workflows/**/*.ts', 'src/rules/**/*.ts', 'src/contract/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', deterministicRestrictions],
      'no-restricted-globals': [
        'error',
        { name: 'process', message: 'No process in deterministic code.' },
        { name: 'setTimeout', message: 'Use workflow timers (sleep / condition) or virtual time.' },
        { name: 'setInterval', message: 'Use workflow timers.' },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'No randomness in deterministic code.' },
        {
          object: 'Date',
          property: 'now',
          message: 'Read workflow time through workflowNow() (workflows/workflow-time.ts).',
        },
      ],
    },
  },
  {
    // The pure rules take time as an argument; workflows read it only through workflows/workflow-time.ts.
    files: ['src/rules/**/*.ts', 'src/contract/**/*.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'No randomness in deterministic code.' },
        { object: 'Date', property: 'now', message: 'No clocks in rule code: time is passed in.' },
      ],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ['**/*.js'],
    languageOptions: { globals: { process: 'readonly', URL: 'readonly', console: 'readonly' } },
  },
  prettier,
);
