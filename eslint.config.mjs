import js from '@eslint/js';
import nx from '@nx/eslint-plugin';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

const appScopes = ['gateway', 'intake', 'sla', 'escalation', 'maintenance', 'reporting'];

/**
 * Real constraints, no '*': an app reaches only shared libs (never another app); the business-time
 * engine and the contracts import nothing of ours. Only tests may use the testing lib.
 */
function boundaries({ tests }) {
  const shared = tests ? ['scope:shared', 'scope:testing'] : ['scope:shared'];
  return [
    'error',
    {
      allow: [],
      enforceBuildableLibDependency: false,
      depConstraints: [
        ...appScopes.map((scope) => ({ sourceTag: `scope:${scope}`, onlyDependOnLibsWithTags: shared })),
        { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: shared },
        { sourceTag: 'scope:testing', onlyDependOnLibsWithTags: ['scope:shared'] },
        // examples/: what other teams copy; they use the contracts (and, in tests, the testing lib)
        { sourceTag: 'scope:examples', onlyDependOnLibsWithTags: shared },
        // clients/: generated from the OpenAPI document, importing nothing of ours
        { sourceTag: 'scope:clients', onlyDependOnLibsWithTags: tests ? ['scope:testing'] : [] },
        { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:data-access', 'type:contracts', 'type:util', 'type:feature'] },
        { sourceTag: 'type:data-access', onlyDependOnLibsWithTags: ['type:data-access', 'type:contracts', 'type:util'] },
        { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: [] },
        { sourceTag: 'type:util', onlyDependOnLibsWithTags: tests ? ['type:util'] : [] },
      ],
    },
  ];
}

export default tseslint.config(
  { ignores: ['**/dist', '**/node_modules', '**/coverage', '.nx', '.data', 'tools/ferretdb', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
      '@nx/enforce-module-boundaries': boundaries({ tests: false }),
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@sladesk/*/*'], message: 'Import a library through its public entry (@sladesk/<lib>) only.' }] },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'warn',
    },
  },
  {
    files: ['**/*.spec.ts', '**/test/**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': boundaries({ tests: true }),
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  prettier,
);
