/**
 * `npm run build:server`: transpiles the gateway (src/) and the benchmark (bench/) into dist/, file by file
 * (dist/src/…, dist/bench/…), so that `npm start`, the demo and the benchmark run plain JavaScript: tsx's loader
 * costs about 60 MB of memory. No bundling and no type checking (that is `npm run typecheck`; tsconfig's
 * isolatedModules makes transpiling each file alone safe). Tests run the TypeScript sources as they are.
 */
import { build } from 'esbuild';
import { cpSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const outdir = join(root, 'dist');

/** Every .ts file under `dir` but the tests (Node 20 has no fs.glob). */
function sources(dir) {
  return readdirSync(join(root, dir), { recursive: true })
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'))
    .map((file) => join(root, dir, file));
}

// From scratch, so that a removed source leaves no module behind.
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: [...sources('src'), ...sources('bench')],
  outbase: root,
  outdir,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Stack traces point at the TypeScript (node --enable-source-maps); the sources are in the repository.
  sourcemap: 'linked',
  sourcesContent: false,
  logLevel: 'warning',
});
// The simulators read their sample video and images next to themselves (new URL('./assets/…', import.meta.url)).
cpSync(join(root, 'src/simulator/assets'), join(outdir, 'src/simulator/assets'), { recursive: true });
