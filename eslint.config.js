// Lint rules. The one that matters most keeps the pure core pure (STYLE.md): model/, plan/ and
// render/ may not touch the file system, child processes, git, the network or `process`.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const impure = ['fs', 'fs/promises', 'child_process', 'net', 'http', 'https', 'os', 'worker_threads', 'cluster', 'process'];
const impurePatterns = [
  ...impure.flatMap((name) => [name, `node:${name}`]),
  'simple-git',
  'fast-glob',
  '**/store/**',
  '**/apply/**',
  '**/audit/**',
  '**/cli/**',
  '**/load/**',
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'bench-out/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', Buffer: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Generated from schemas/: a reason without parameters has `params: {}` (an empty object), as in the JSON.
    files: ['src/model/generated/**/*.ts'],
    rules: { '@typescript-eslint/no-empty-object-type': 'off' },
  },
  {
    // The metadata mapping and the store → declarations import are pure too; only their
    // read-*/write-* files (and import's orchestration) touch the disk.
    files: ['src/model/**/*.ts', 'src/plan/**/*.ts', 'src/render/**/*.ts', 'src/metadata/**/*.ts', 'src/import/from-*.ts'],
    ignores: ['src/metadata/read-*.ts', 'src/metadata/write-*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: impurePatterns, message: 'model/, plan/ and render/ are pure: no I/O, git, clock or process (STYLE.md).' }] }],
      'no-restricted-globals': ['error', { name: 'process', message: 'pure code takes what it needs as parameters' }],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'pure code takes the time as a parameter' },
        { object: 'Math', property: 'random', message: 'pure code takes no randomness' },
      ],
      'no-restricted-syntax': ['error', { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'pure code takes the time as a parameter' }],
    },
  },
);
