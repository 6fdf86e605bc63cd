import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { Harness, testDatabases } from '../../test/support/harness.js';
import type { Config } from '../config.js';
import { sampleVideo } from '../simulator/server.js';
import { claimDueCopies } from '../store/claims.js';
import { recordCopy } from '../store/videos.js';
import { ResultCopier } from './result-copier.js';

describe.each(testDatabases())('copying results into storage on %s', (database) => {
  let h: Harness;
  afterEach(() => h.close());

  async function succeededTask(config: Partial<Config> = {}) {
    h = await Harness.start({ database, config, copierOff: true });
    await h.channel('kling');
    const { key } = await h.user();
    const { task_id: taskId } = (await h.submit(key, { model: 'kling-v1', prompt: 'copy me' })).body;
    for (;;) {
      const res = await h.query(key, taskId);
      if (res.body.status !== 'processing') {
        expect(res.body.status).toBe('succeeded');
        return { key, taskId, url: res.body.url };
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  const jobOf = (taskId: string) =>
    h.gateway.deps.database.db
      .selectFrom('task_jobs')
      .selectAll()
      .where('task_id', '=', taskId)
      .executeTakeFirstOrThrow();
  const storedFiles = () => {
    const root = join(h.dataDir, 'content');
    if (!existsSync(root)) return [];
    return readdirSync(root, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile());
  };

  it('shows the success before the copy lands, its link streaming from the vendor meanwhile', async () => {
    const { taskId, url } = await succeededTask();
    expect(url.startsWith(`${h.url}/v1/videos/${taskId}/content?`)).toBe(true);
    expect((await jobOf(taskId)).hosted_content).toBeNull();
    const meanwhile = await request(url);
    expect(meanwhile.statusCode).toBe(200);
    expect(Buffer.from(await meanwhile.body.arrayBuffer())).toEqual(sampleVideo);

    h.gateway.copier.start();
    await h.waitForCopies(taskId);
    expect((await jobOf(taskId)).hosted_content).not.toBeNull();
    h.sim.world.expireAllFiles();
    const later = await request(url);
    expect(later.statusCode).toBe(200);
    expect(Buffer.from(await later.body.arrayBuffer())).toEqual(sampleVideo);
  });

  it('gives way while polling runs late, but no copy waits longer than REHOST_MAX_WAIT_MS', async () => {
    const { taskId } = await succeededTask({ REHOST_MAX_WAIT_MS: 400 });
    const dueAt = (await jobOf(taskId)).copy_due_at!;
    // Polling that runs five seconds late: the CPU goes to making successes visible first.
    const copier = new ResultCopier(h.gateway.deps, () => 5_000);
    copier.start();
    try {
      await new Promise((r) => setTimeout(r, 150));
      expect((await jobOf(taskId)).hosted_content).toBeNull();
      await h.waitForCopies(taskId);
      const copied = await jobOf(taskId);
      expect(copied.hosted_content).not.toBeNull();
      expect(copied.updated_at - dueAt).toBeGreaterThanOrEqual(400);
    } finally {
      await copier.stop();
    }
  });

  it('takes back a copy whose copier stalled once its lease runs out; the late copier removes only its files', async () => {
    const { taskId, url } = await succeededTask();
    const now = Date.now();
    // A copier that claims the job and dies: its lease ends in 300 ms.
    const claimed = await claimDueCopies(h.gateway.deps.database, {
      now,
      limit: 10,
      leaseToken: 'dead-copier',
      leaseUntil: now + 300,
    });
    expect(claimed.map((job) => job.task_id)).toEqual([taskId]);
    h.gateway.copier.start();
    expect(await h.gateway.copier.tick()).toBe(0);
    await h.waitForCopies(taskId);
    expect((await jobOf(taskId)).hosted_content).not.toBeNull();
    expect(storedFiles()).toHaveLength(1);

    // The stalled copier finishes after all: its record is refused, and it throws away its own copy only.
    const { content, channels, database } = h.gateway.deps;
    const job = await jobOf(taskId);
    const late = await content.store(job, (await channels.get(job.channel_id!))!, 'stalled0');
    const recorded = await recordCopy(database, {
      jobId: job.id,
      leaseToken: 'dead-copier',
      hosted_content: JSON.stringify(late),
      content_expires_at: job.content_expires_at,
      copy_due_at: null,
      rehost_attempts: job.rehost_attempts,
      now: Date.now(),
    });
    expect(recorded).toBe(false);
    await content.deleteFiles(job, late);
    expect(storedFiles()).toHaveLength(1);
    h.sim.world.expireAllFiles();
    const download = await request(url);
    expect(download.statusCode).toBe(200);
    expect(Buffer.from(await download.body.arrayBuffer())).toEqual(sampleVideo);
  });

  it('copies nothing for a task deleted before its copy was made', async () => {
    const { key, taskId } = await succeededTask();
    const deleted = await h.http('DELETE', `/v1/videos/${taskId}`, { token: key });
    expect(deleted.status).toBe(200);
    expect(await h.gateway.copier.tick()).toBe(0);
    expect((await jobOf(taskId)).copy_due_at).toBeNull();
    expect(storedFiles()).toEqual([]);
  });

  it('tries a failed copy again and keeps it once it lands', async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'reelay-copier-'));
    // Storage cannot be made under a file: copies fail until the file is gone.
    writeFileSync(join(scratch, 'blocker'), '');
    try {
      const { taskId } = await succeededTask({ CONTENT_DIR: join(scratch, 'blocker', 'content') });
      h.gateway.copier.start();
      while ((await jobOf(taskId)).rehost_attempts < 1) await new Promise((r) => setTimeout(r, 25));
      expect((await jobOf(taskId)).copy_due_at).not.toBeNull();
      rmSync(join(scratch, 'blocker'));
      await h.waitForCopies(taskId);
      const job = await jobOf(taskId);
      expect(job.hosted_content).not.toBeNull();
      expect(readdirSync(join(scratch, 'blocker', 'content'), { recursive: true })).toHaveLength(2);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});
