/**
 * A real S3-compatible server for tests: s3rver (pure JavaScript, from npm) on a free loopback port, its objects
 * in a temporary directory. It can be stopped and started again on the same port and directory (an outage).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';

/** s3rver's built-in account. */
export const s3Credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export interface RunningS3Server {
  endpoint: string;
  bucket: string;
  /** The settings that point a gateway at this server, as environment (or config overrides). */
  env(prefix?: string): Record<string, string>;
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startS3Server(bucket = 'reelay-test'): Promise<RunningS3Server> {
  const directory = mkdtempSync(join(tmpdir(), 'reelay-s3-'));
  let port = 0;
  let server: S3rver | null = null;
  const start = async () => {
    if (server) return;
    server = new S3rver({
      address: '127.0.0.1',
      port,
      silent: true,
      directory,
      configureBuckets: [{ name: bucket, configs: [] }],
    });
    ({ port } = await server.run());
  };
  const stop = async () => {
    if (!server) return;
    const closing = server.close();
    // Clients keep connections alive: an outage cuts them, and close() would otherwise wait for them.
    server.httpServer.closeAllConnections();
    await closing;
    server = null;
  };
  await start();
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    bucket,
    env: (prefix = '') => ({
      STORAGE_URL: `s3://${bucket}${prefix ? `/${prefix}` : ''}`,
      AWS_ENDPOINT_URL: endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: s3Credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3Credentials.secretAccessKey,
    }),
    stop,
    start,
    close: async () => {
      await stop();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
