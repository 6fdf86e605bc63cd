/**
 * Finding 4 of the security review: `npm run demo` listens on loopback only and makes its own admin token, once
 * per data directory, instead of one published in the source.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';

const repoRoot = join(import.meta.dirname, '../..');

/** Runs the demo until it has printed its banner; answers the banner and stops the demo. */
function runDemo(dataDir: string): Promise<{ url: string; adminToken: string; stop: () => Promise<void> }> {
  const env: Record<string, string | undefined> = { ...process.env, REELAY_DATA_DIR: dataDir };
  delete env.HOST;
  delete env.REELAY_ADMIN_TOKEN;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/demo.ts'], {
    cwd: repoRoot,
    env: { ...env, PORT: '0', SIMULATOR_PORT: '0', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stop = () =>
    new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`demo did not start:\n${output}`)), 60_000);
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      const url = /gateway\s+(http:\/\/\S+)/.exec(output)?.[1];
      const adminToken = /admin token\s+(\S+)/.exec(output)?.[1];
      if (url && adminToken && output.includes('Press Ctrl+C')) {
        clearTimeout(timer);
        resolve({ url, adminToken, stop });
      }
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', read);
    child.on('exit', (code) => reject(new Error(`demo exited (${code}):\n${output}`)));
  });
}

describe('npm run demo', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'reelay-demo-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('listens on loopback with an admin token of its own, the same on every run from one data directory', async () => {
    const first = await runDemo(dataDir);
    try {
      expect(new URL(first.url).hostname).toBe('127.0.0.1');
      expect(first.adminToken).not.toBe('demo-admin-token-change-me');
      expect(first.adminToken.length).toBeGreaterThanOrEqual(32);
      const users = await request(`${first.url}/admin/v1/users`, {
        headers: { authorization: `Bearer ${first.adminToken}` },
      });
      expect(users.statusCode).toBe(200);
      await users.body.dump();
      expect(statSync(join(dataDir, 'demo-admin-token')).mode & 0o077).toBe(0);
    } finally {
      await first.stop();
    }
    const second = await runDemo(dataDir);
    await second.stop();
    expect(second.adminToken).toBe(first.adminToken);

    const elsewhere = mkdtempSync(join(tmpdir(), 'reelay-demo-'));
    const third = await runDemo(elsewhere);
    await third.stop();
    rmSync(elsewhere, { recursive: true, force: true });
    expect(third.adminToken).not.toBe(first.adminToken);
  }, 120_000);
});
