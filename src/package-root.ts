/**
 * The package's root directory, for files outside src/: the built console, the benchmark's results. Found by
 * walking up to the first directory holding package.json, not by a fixed relative path, because this module runs
 * both as src/package-root.ts (tests, tsx) and compiled as dist/src/package-root.js (dist/ has no package.json).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

function findPackageRoot(dir: string): string {
  if (existsSync(join(dir, 'package.json'))) return dir;
  if (dirname(dir) === dir) throw new Error(`no package.json above ${import.meta.dirname}`);
  return findPackageRoot(dirname(dir));
}

export const packageRoot = findPackageRoot(import.meta.dirname);

/** The version in package.json (the OpenAPI document's info.version). */
export const packageVersion = (
  JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }
).version;
