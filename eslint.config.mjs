// ESLint flat config: the recommended JavaScript and typescript-eslint rules over agent/, test/, bench/, scripts/
// and bin/, with the few settings the tree relies on. `npm run lint` runs it (and the type check).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/**', 'dist-bundle/**', 'native/**', 'node_modules/**', 'build/**', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module', globals: { ...globals.node } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // Unused names are the compiler's job (noUnusedLocals); `_`-prefixed parameters are deliberate.
      '@typescript-eslint/no-unused-vars': ['error', { args: 'none', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    // Tests walk parsed JSON and YAML documents (admission reviews, manifests) whose shape is the point of the test,
    // and match YAML text whose indentation is the point (literal spaces in regexes).
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', 'no-regex-spaces': 'off' },
  },
  {
    // Loads Kubernetes schema models by a path computed from each manifest's apiVersion.
    files: ['test/deploy/helpers/k8s-schema.ts'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
