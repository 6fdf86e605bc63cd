/** The `reelay` CLI, run as a child process against a real gateway and the vendor simulators. */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, Harness } from '../../test/support/harness.js';
import { pngBase64 } from '../../test/support/vidu.js';

const root = join(import.meta.dirname, '../..');
/**
 * The CLI compiled once into one file beside the repository's node_modules (as `npm install` compiles bin's
 * target): starting it through tsx costs seconds per run on a busy machine.
 */
const compiled = join(root, 'test-artifacts/cli/reelay.mjs');
const cli = [compiled];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], env: Record<string, string>, cwd: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

// The CLI only speaks HTTP: one database is enough to prove it.
// Each run starts a node process: on a loaded machine a test of ten runs takes its time.
describe('the reelay CLI', { timeout: 90_000 }, () => {
  let h: Harness;
  let key: string;
  let dir: string;
  let env: Record<string, string>;
  const reelay = (...args: string[]) => run(process.execPath, [...cli, ...args], env, dir);

  beforeAll(async () => {
    await build({
      entryPoints: [join(root, 'src/cli/main.ts')],
      outfile: compiled,
      bundle: true,
      packages: 'external',
      platform: 'node',
      format: 'esm',
      target: 'node20',
      logLevel: 'warning',
    });
    h = await Harness.start({ simulator: { taskDurationMs: 1_500 } });
    await h.channel('kling');
    key = (await h.user()).key;
    dir = mkdtempSync(join(tmpdir(), 'reelay-cli-'));
    env = { REELAY_BASE_URL: h.url, REELAY_API_KEY: key, REELAY_ADMIN_TOKEN: adminToken };
  });
  afterAll(async () => {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('generates, follows the task line by line off a terminal, downloads the MP4 and exits 0', async () => {
    const result = await reelay(
      'generate',
      '--model',
      'kling-v1',
      '--prompt',
      'a cat on the moon',
      '--duration',
      '5',
      '--size',
      '1280x720',
      '-o',
      'cat.mp4',
    );
    expect(result.stderr).not.toMatch(/error/);
    expect(result.code).toBe(0);
    const lines = result.stderr.trim().split('\n');
    // One plain line per change: the first says processing, progress grows, the last before the save succeeded.
    expect(lines[0]).toMatch(/^task_\w+ (queued|generating) \d+% \(\d+s\)$/);
    expect(lines.some((line) => / succeeded 100% /.test(line))).toBe(true);
    expect(new Set(lines).size).toBe(lines.length);
    expect(lines.at(-1)).toMatch(/^saved cat\.mp4 \(\d+ bytes\)$/);
    expect(result.stdout).toMatch(/^task_\w+ {2}succeeded {2}100% {2}kling-v1 {2}http/);
    expect(readFileSync(join(dir, 'cat.mp4')).subarray(4, 8).toString('ascii')).toBe('ftyp');
  });

  it('sends a local image as a data URL, and prints the task as JSON with --json --no-wait', async () => {
    const image = join(dir, 'frame.png');
    await import('node:fs/promises').then((fs) => fs.writeFile(image, Buffer.from(pngBase64, 'base64')));
    const result = await reelay(
      '--json',
      'generate',
      '-m',
      'kling-v1',
      '-p',
      'a cat',
      '--image',
      image,
      '--duration',
      '5',
      '--no-wait',
    );
    expect(result.code).toBe(0);
    const task = JSON.parse(result.stdout);
    expect(task.status).toBe('processing');
    // Kling takes raw base64: the gateway removed the data URL's prefix the CLI added.
    expect([...h.sim.world.tasks.values()].at(-1)!.request.image).toBe(pngBase64);

    const waited = await reelay('--json', 'wait', task.task_id);
    expect(waited.code).toBe(0);
    expect(JSON.parse(waited.stdout)).toMatchObject({ task_id: task.task_id, status: 'succeeded' });
    const status = await reelay('status', task.task_id);
    expect(status.stdout).toMatch(new RegExp(`^${task.task_id} {2}succeeded`));
    const listed = await reelay('list');
    expect(listed.stdout).toContain(task.task_id);
    const saved = await reelay('download', task.task_id, '-o', 'again.mp4');
    expect(saved.code).toBe(0);
    expect(readFileSync(join(dir, 'again.mp4')).subarray(4, 8).toString('ascii')).toBe('ftyp');
  });

  it('exits 1 with the task’s error message when the task fails', async () => {
    h.sim.world.inject('kling', 'poll', { type: 'task_fails', reason: 'the moon is made of cheese' });
    const result = await reelay('generate', '--model', 'kling-v1', '--prompt', 'a cat', '--duration', '5');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/failed: .*the moon is made of cheese/);
  });

  it('exits 2 on usage errors, and 0 with complete help', async () => {
    const missing = await reelay('generate', '--model', 'kling-v1');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/required option '-p, --prompt <text>' not specified/);
    const badNumber = await reelay('generate', '-m', 'kling-v1', '-p', 'x', '--duration', 'five');
    expect(badNumber.code).toBe(2);
    expect(badNumber.stderr).toMatch(/--duration: expected a number, got "five"/);
    const rejected = await reelay('generate', '-m', 'kling-v1', '-p', 'x', '--duration', '7');
    expect(rejected.code).toBe(2);
    expect(rejected.stderr).toMatch(/^error: .*\(duration\)/);
    const noKey = await run(process.execPath, [...cli, 'list'], { REELAY_API_KEY: '' }, dir);
    expect(noKey.code).toBe(2);

    const help = await reelay('--help');
    expect(help.code).toBe(0);
    for (const command of ['generate', 'status', 'wait', 'cancel', 'list', 'models', 'download', 'admin']) {
      expect(help.stdout).toContain(command);
    }
    const generateHelp = await reelay('generate', '--help');
    for (const option of ['--image-tail', '--metadata', '--seed', '--no-wait', '--output', '--size']) {
      expect(generateHelp.stdout).toContain(option);
    }
  });

  it('cancels, lists models, and runs the operator’s daily commands', async () => {
    const models = await reelay('models');
    expect(models.stdout.trim().split('\n')).toContain('kling-v1  kling  free');

    const submitted = await h.submit(key, { model: 'kling-v1', prompt: 'a cat', duration: 5 });
    const cancel = await reelay('cancel', submitted.body.task_id);
    expect(cancel.code).toBe(1);
    // Kling has no cancel call (or the task has ended already by the time the CLI starts): a 409 either way.
    expect(cancel.stderr).toMatch(/^error: This task cannot be cancelled: /);

    const user = JSON.parse((await reelay('admin', 'users', 'create', 'cli-user')).stdout);
    expect(user.name).toBe('cli-user');
    expect((await reelay('admin', 'users', 'topup', user.id, '5000000')).code).toBe(0);
    const users = await reelay('admin', 'users');
    expect(users.stdout).toMatch(new RegExp(`${user.id} {2}cli-user {2}5000000`));
    const created = JSON.parse(
      (await reelay('admin', 'keys', 'create', user.id, '--models', 'kling-v1')).stdout,
    );
    expect(created.key).toMatch(/^sk-/);
    expect((await reelay('admin', 'keys', user.id)).stdout).toContain(created.id);
    expect(
      (await reelay('admin', 'prices', 'set', 'kling-v1-6', '--unit', 'call', '--price', '1000')).code,
    ).toBe(0);
    expect((await reelay('admin', 'prices')).stdout).toMatch(/kling-v1-6 {2}call {2}1000/);
    expect((await reelay('admin', 'channels')).stdout).toMatch(/kling/);
  });

  it('draws a live progress bar and a download bar under a pseudo-terminal', async () => {
    const command = [
      process.execPath,
      ...cli,
      'generate',
      '-m',
      'kling-v1',
      '-p',
      'a cat',
      '--duration',
      '5',
      '-o',
      'tty.mp4',
    ]
      .map((word) => `'${word}'`)
      .join(' ');
    // `script` runs the CLI on a pseudo-terminal and copies what it drew.
    const result = await run('script', ['-qfec', command, '/dev/null'], { ...env, COLUMNS: '120' }, dir);
    expect(result.stdout + result.stderr).not.toMatch(/error/);
    expect(result.code).toBe(0);
    const percents = [...result.stdout.matchAll(/\| (\d+)% \|/g)].map((m) => Number(m[1]));
    // The bar was redrawn as the task moved: several different percentages, ending at 100.
    expect(new Set(percents).size).toBeGreaterThanOrEqual(3);
    expect(result.stdout).toMatch(/succeeded \|[█░]+\| 100%/);
    expect(result.stdout).toMatch(/download \|[█░]+\| 100%/);
    expect(readFileSync(join(dir, 'tty.mp4')).subarray(4, 8).toString('ascii')).toBe('ftyp');
  });
});
