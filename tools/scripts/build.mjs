#!/usr/bin/env node
// Compiles every app and lib with SWC into dist/ (path aliases rewritten, decorator metadata kept).
// Type checking is separate (`npm run typecheck`): SWC only strips types, which keeps this ~1 s.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const swc = createRequire(import.meta.url).resolve('@swc/cli/bin/swc.js', { paths: [root] });
rmSync(join(root, 'dist'), { recursive: true, force: true });
execFileSync(
  process.execPath,
  [swc, 'apps', 'libs', '-d', 'dist', '--config-file', '.swcrc', '--ignore', '**/*.spec.ts', '--ignore', '**/test/**', '-q'],
  { cwd: root, stdio: 'inherit' },
);
