/** `npm run demo` on a machine where its ports are taken: one line naming the port and the variable to change. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repoRoot = join(import.meta.dirname, '..');

/** Runs the demo to its exit; answers its exit code and what it printed on stderr. */
function demoExit(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'reelay-demo-ports-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/demo.ts'], {
    cwd: repoRoot,
    env: {
      ...process.env,
      REELAY_DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      PORT: '0',
      SIMULATOR_PORT: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.resume();
  return new Promise((resolve) => {
    child.on('exit', (code) => {
      rmSync(dataDir, { recursive: true, force: true });
      resolve({ code, stderr });
    });
  });
}

describe('npm run demo with a port taken', () => {
  let taken: Server;
  let port: number;
  beforeAll(async () => {
    taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    port = (taken.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => taken.close(() => resolve())));

  it.each([
    ['SIMULATOR_PORT', 'the vendor simulators'],
    ['PORT', 'the gateway'],
  ])(
    'names %s when its port is in use, in one line without a stack trace',
    async (variable, what) => {
      const { code, stderr } = await demoExit({ [variable]: String(port) });
      expect(code).toBe(1);
      expect(stderr.trim()).toBe(
        `Port ${port} (${what}) is in use: set ${variable} to a free port, e.g. ${variable}=${port + 1} npm run demo`,
      );
    },
    60_000,
  );
});
