#!/usr/bin/env node
// Compiles every app and lib with SWC into dist/ (path aliases rewritten, decorator metadata kept).
// Type checking is separate (`npm run typecheck`): SWC only strips types, which keeps this ~1 s.
// Builds into a fresh folder and swaps it in, so processes started from dist/ by a concurrent run
// (another test file, a benchmark) never see a half-written or emptied tree.
import { execFileSync } from 'node:child_process';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const swc = createRequire(import.meta.url).resolve('@swc/cli/bin/swc.js', { paths: [root] });
const fresh = join(root, `dist.building-${process.pid}`);
const old = join(root, `dist.old-${process.pid}`);
const dist = join(root, 'dist');
rmSync(fresh, { recursive: true, force: true });
try {
  execFileSync(
    process.execPath,
    [swc, 'apps', 'libs', 'examples', '-d', fresh, '--config-file', '.swcrc', '--ignore', '**/*.spec.ts', '--ignore', '**/test/**', '-q'],
    { cwd: root, stdio: 'inherit' },
  );
  if (existsSync(dist)) renameSync(dist, old);
  renameSync(fresh, dist);
} finally {
  rmSync(fresh, { recursive: true, force: true });
  rmSync(old, { recursive: true, force: true });
}
