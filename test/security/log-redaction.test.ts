/**
 * Finding 8 of the security review: at LOG_LEVEL=debug every request is logged, and the URLs of signed content
 * links and vendor callbacks carry secrets: they are logged redacted.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from '../support/harness.js';
import { Gateway } from '../../src/gateway.js';
import { redactUrl } from '../../src/security/log-redaction.js';

describe('request logs at debug level', () => {
  let h: Harness;
  let gateway: Gateway;
  let logged = '';

  beforeAll(async () => {
    h = await Harness.start();
    const logger = pino(
      { level: 'debug' },
      new Writable({ write: (chunk, _encoding, done) => ((logged += String(chunk)), done()) }),
    );
    // A second gateway on the harness's database, logging at debug into `logged`.
    gateway = await Gateway.create(
      { ...h.gateway.config, LOG_LEVEL: 'debug' },
      {
        logger,
        database: h.schema ? { schema: h.schema } : {},
      },
    );
  });
  afterAll(async () => {
    await gateway.close();
    await h.close();
  });

  it('carry neither content-link signatures nor vendor-callback tokens', async () => {
    await gateway.app.inject({ url: '/v1/videos/video_x/content?expires=1&signature=SIGNATURE-SECRET' });
    await gateway.app.inject({
      method: 'POST',
      url: '/v1/vendor-callbacks/job_x.CALLBACK-SECRET',
      payload: {},
    });
    // Tokens that name the channel too: everything after the job id goes.
    await gateway.app.inject({
      method: 'POST',
      url: '/v1/vendor-callbacks/job_y.ch_z.CHANNEL-TOKEN-SECRET',
      payload: {},
    });
    expect(logged).toContain('/v1/videos/video_x/content?expires=1&signature=[redacted]');
    expect(logged).toContain('/v1/vendor-callbacks/job_x.[redacted]');
    expect(logged).not.toContain('SIGNATURE-SECRET');
    expect(logged).not.toContain('CALLBACK-SECRET');
    expect(logged).toContain('/v1/vendor-callbacks/job_y.[redacted]');
    expect(logged).not.toContain('CHANNEL-TOKEN-SECRET');
  });

  it('keeps the rest of the URL', () => {
    expect(redactUrl('/v1/videos?limit=5&after=video_1')).toBe('/v1/videos?limit=5&after=video_1');
  });
});
