/** The Jimeng adapter against the Jimeng simulator, over real HTTP: tasks, the signature, validation, faults. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expectDownloadableMp4 } from '../../../test/support/media.js';
import { defaultJimengAccount } from '../../simulator/jimeng.js';
import { startSimulator, type RunningSimulator } from '../../simulator/server.js';
import type { Fault } from '../../simulator/world.js';
import type { SignedCall, VendorAnswer, VendorCall } from '../adapter.js';
import { Wire } from '../wire.js';
import { jimengAdapter } from './adapter.js';
import { signJimengRequest } from './auth.js';

const submitPath = '/?Action=CVSync2AsyncSubmitTask&Version=2022-08-31';
const imageUrl = 'https://example.com/first-frame.jpg';
const jpegBase64 = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46, 0, 1]).toString(
  'base64',
);
const webpBase64 = Buffer.from('RIFF\x00\x00\x00\x00WEBPVP8 ').toString('base64');

let sim: RunningSimulator;
const wire = new Wire();

beforeAll(async () => {
  sim = await startSimulator({ taskDurationMs: 300 });
});
afterAll(async () => {
  await wire.close();
  await sim.close();
});
beforeEach(() => {
  sim.world.reset();
  sim.world.options.taskDurationMs = 300;
  sim.world.options.taskExpiryMs = undefined;
});

const sign = (call: VendorCall, credentials = defaultJimengAccount) =>
  jimengAdapter.sign(call, sim.baseUrl('jimeng'), credentials, wire);
const send = async (call: VendorCall, credentials = defaultJimengAccount) =>
  wire.send(await sign(call, credentials));
const submitCall = (body: unknown): VendorCall => ({ method: 'POST', path: submitPath, body });

async function submit(
  body: Record<string, unknown> = { req_key: 'jimeng_t2v_v30', prompt: 'a cat surfing' },
) {
  const outcome = jimengAdapter.readSubmit(await send(submitCall(body)));
  if (outcome.kind !== 'accepted') throw new Error(`submit not accepted: ${JSON.stringify(outcome)}`);
  return { taskId: outcome.upstreamTaskId, reqKey: String(body.req_key) };
}

const poll = async ({ taskId, reqKey }: { taskId: string; reqKey: string }) =>
  send(jimengAdapter.preparePoll(taskId, { req_key: reqKey }));

const gatewayError = (answer: VendorAnswer) =>
  (answer.json as { ResponseMetadata: { Error: unknown } }).ResponseMetadata.Error;

describe('Jimeng simulator: tasks', () => {
  it('moves a task in_queue → generating → done, with a video URL that works until it expires', async () => {
    // Queued for a fifth of it: long enough that a slow machine's first poll still finds it queued.
    sim.world.options.taskDurationMs = 5000;
    const task = await submit();
    const seen: string[] = [];
    let last: VendorAnswer;
    do {
      last = await poll(task);
      const status = (last.json as { data: { status: string } }).data.status;
      if (seen.at(-1) !== status) seen.push(status);
      await new Promise((resolve) => setTimeout(resolve, 20));
    } while (seen.at(-1) !== 'done');
    expect(seen).toEqual(['in_queue', 'generating', 'done']);

    const outcome = jimengAdapter.readPoll(last, {});
    if (outcome.kind !== 'succeeded') throw new Error(`not succeeded: ${JSON.stringify(outcome)}`);
    expect(outcome.url).toMatch(/\.mp4\?x-expires=\d+&x-signature=[0-9a-f]+$/);
    await expectDownloadableMp4(outcome.url);

    sim.world.expireAllFiles();
    expect((await fetch(outcome.url)).status).toBe(403);
  });

  it('answers with the documented envelope', async () => {
    const answer = await send(submitCall({ req_key: 'jimeng_t2v_v30', prompt: 'a cat' }));
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({
      code: 10000,
      data: { task_id: expect.stringMatching(/^\d{18}$/) },
      message: 'Success',
      request_id: expect.stringMatching(/^\d{14}[0-9A-F]{20}$/),
      status: 10000,
      time_elapsed: expect.stringMatching(/ms$/),
    });
  });

  it('reports not_found for an unknown task id, and for a task asked for under another req_key', async () => {
    sim.world.options.taskDurationMs = 60_000;
    const unknown = await poll({ taskId: '7000000000000000001', reqKey: 'jimeng_t2v_v30' });
    expect(unknown.json).toMatchObject({ code: 10000, data: { status: 'not_found' } });
    expect(jimengAdapter.readPoll(unknown, {})).toMatchObject({ kind: 'failed', code: 'vendor_task_lost' });

    const task = await submit({
      req_key: 'jimeng_i2v_first_v30_1080',
      prompt: 'a cat',
      image_urls: [imageUrl],
    });
    expect((await poll({ ...task, reqKey: 'jimeng_vgfm_t2v_l20' })).json).toMatchObject({
      data: { status: 'not_found' },
    });
    expect((await poll(task)).json).toMatchObject({ data: { status: 'in_queue' } });
  });

  it('reports expired once a task is older than the configured time', async () => {
    sim.world.options.taskExpiryMs = 0;
    const answer = await poll(await submit());
    expect(answer.json).toMatchObject({ code: 10000, data: { status: 'expired' } });
    expect(jimengAdapter.readPoll(answer, {})).toMatchObject({ kind: 'failed', code: 'vendor_task_expired' });
  });

  it('reports a task that failed while generating as done with an error code', async () => {
    sim.world.options.taskDurationMs = 0;
    sim.world.inject('jimeng', 'submit', {
      type: 'task_fails',
      reason: 'the model could not render the scene',
    });
    const answer = await poll(await submit());
    expect(answer.status).toBe(500);
    expect(answer.json).toMatchObject({ code: 50501, data: { status: 'done' } });
    expect(jimengAdapter.readPoll(answer, {})).toEqual({
      kind: 'failed',
      code: 'generation_failed',
      message: expect.stringContaining('the model could not render the scene'),
    });
  });
});

describe('Jimeng simulator: signature and gateway', () => {
  it('refuses a wrong secret with SignatureDoesNotMatch, which breaks the channel', async () => {
    const tasksBefore = sim.world.tasks.size;
    const answer = await send(submitCall({ req_key: 'jimeng_t2v_v30', prompt: 'a cat' }), {
      ...defaultJimengAccount,
      secret_access_key: 'not-the-secret',
    });
    expect(answer.status).toBe(401);
    expect(answer.json).toEqual({
      ResponseMetadata: {
        RequestId: expect.any(String),
        Action: 'CVSync2AsyncSubmitTask',
        Version: '2022-08-31',
        Service: 'cv',
        Region: 'cn-north-1',
        Error: {
          CodeN: 100010,
          Code: 'SignatureDoesNotMatch',
          Message: expect.stringContaining('does not match'),
        },
      },
    });
    expect(jimengAdapter.readSubmit(answer)).toMatchObject({ kind: 'channel_broken' });
    expect(sim.world.tasks.size).toBe(tasksBefore);
  });

  it('refuses an unknown access key with InvalidAccessKey', async () => {
    const answer = await send(submitCall({ req_key: 'jimeng_t2v_v30', prompt: 'a cat' }), {
      ...defaultJimengAccount,
      access_key_id: 'AKLTunknown',
    });
    expect(answer.status).toBe(401);
    expect(gatewayError(answer)).toMatchObject({ CodeN: 100009, Code: 'InvalidAccessKey' });
    expect(jimengAdapter.readSubmit(answer)).toMatchObject({ kind: 'channel_broken' });
  });

  it('refuses a body changed after signing, and a signed header changed after signing', async () => {
    const signed = await sign(submitCall({ req_key: 'jimeng_t2v_v30', prompt: 'a cat' }));
    const tamperedBody = await wire.send({ ...signed, body: signed.body!.replace('a cat', 'a dog') });
    expect(gatewayError(tamperedBody)).toMatchObject({ Code: 'SignatureDoesNotMatch' });
    const tamperedDate = await wire.send({
      ...signed,
      headers: {
        ...signed.headers,
        'x-date': signed.headers['x-date']!.replace(/\dZ$/, (d) => `${(+d[0]! + 1) % 10}Z`),
      },
    });
    expect(gatewayError(tamperedDate)).toMatchObject({ Code: 'SignatureDoesNotMatch' });
  });

  it('refuses a request without Authorization', async () => {
    const signed = await sign(submitCall({ req_key: 'jimeng_t2v_v30', prompt: 'a cat' }));
    const { authorization: _dropped, ...headers } = signed.headers;
    const answer = await wire.send({ ...signed, headers });
    expect(answer.status).toBe(401);
    expect(gatewayError(answer)).toMatchObject({ CodeN: 100003, Code: 'MissingAuthenticationToken' });
  });

  it('refuses a signature made too long ago with InvalidTimestamp', async () => {
    const url = sim.baseUrl('jimeng') + submitPath;
    const body = JSON.stringify({ req_key: 'jimeng_t2v_v30', prompt: 'a cat' });
    const headers = signJimengRequest(
      { method: 'POST', url, body },
      defaultJimengAccount,
      new Date(Date.now() - 3600_000),
    );
    const answer = await wire.send({ method: 'POST', url, headers, body } satisfies SignedCall);
    expect(answer.status).toBe(400);
    expect(gatewayError(answer)).toMatchObject({ CodeN: 100006, Code: 'InvalidTimestamp' });
    expect(jimengAdapter.readSubmit(answer)).toMatchObject({ kind: 'retry_later' });
  });

  it('wants Action and Version in the query string, not the body', async () => {
    const answer = await send({
      method: 'POST',
      path: '/',
      body: {
        Action: 'CVSync2AsyncSubmitTask',
        Version: '2022-08-31',
        req_key: 'jimeng_t2v_v30',
        prompt: 'a cat',
      },
    });
    expect(answer.status).toBe(400);
    expect(gatewayError(answer)).toMatchObject({
      CodeN: 100002,
      Code: 'MissingParameter',
      Message: 'The request is missing Action parameter.',
    });
    const unknown = await send({ method: 'POST', path: '/?Action=CVProcess&Version=2022-08-31', body: {} });
    expect(unknown.status).toBe(404);
    expect(gatewayError(unknown)).toMatchObject({ CodeN: 100008, Code: 'InvalidActionOrVersion' });
  });
});

describe('Jimeng simulator: request validation', () => {
  it.each([
    ['an unknown req_key', { req_key: 'jimeng_v40', prompt: 'a cat' }],
    ['no prompt', { req_key: 'jimeng_t2v_v30' }],
    ['frames other than 121 or 241', { req_key: 'jimeng_t2v_v30', prompt: 'a cat', frames: 150 }],
    ['frames on S2.0 Pro', { req_key: 'jimeng_vgfm_t2v_l20', prompt: 'a cat', frames: 121 }],
    ['an empty aspect_ratio', { req_key: 'jimeng_t2v_v30', prompt: 'a cat', aspect_ratio: '' }],
    ['9:21 on 3.0', { req_key: 'jimeng_t2v_v30', prompt: 'a cat', aspect_ratio: '9:21' }],
    [
      'aspect_ratio on 3.0 image-to-video',
      { req_key: 'jimeng_i2v_first_v30', prompt: 'a cat', aspect_ratio: '16:9', image_urls: [imageUrl] },
    ],
    ['an image-to-video key without an image', { req_key: 'jimeng_i2v_first_v30', prompt: 'a cat' }],
    [
      'a text-to-video key with an image',
      { req_key: 'jimeng_t2v_v30', prompt: 'a cat', image_urls: [imageUrl] },
    ],
    [
      'first-and-last-frame with one image',
      { req_key: 'jimeng_i2v_first_tail_v30', prompt: 'a cat', image_urls: [imageUrl] },
    ],
    [
      'both image_urls and binary_data_base64',
      {
        req_key: 'jimeng_i2v_first_v30',
        prompt: 'a cat',
        image_urls: [imageUrl],
        binary_data_base64: [jpegBase64],
      },
    ],
    [
      'base64 with a data: prefix',
      {
        req_key: 'jimeng_i2v_first_v30',
        prompt: 'a cat',
        binary_data_base64: [`data:image/jpeg;base64,${jpegBase64}`],
      },
    ],
    ['a WebP image', { req_key: 'jimeng_i2v_first_v30', prompt: 'a cat', binary_data_base64: [webpBase64] }],
    [
      'an image URL that is not http(s)',
      { req_key: 'jimeng_i2v_first_v30', prompt: 'a cat', image_urls: ['ftp://example.com/a.jpg'] },
    ],
    ['an unknown field', { req_key: 'jimeng_t2v_v30', prompt: 'a cat', duration: 5 }],
  ])('refuses %s with code 50215', async (_what, body) => {
    const answer = await send(submitCall(body));
    expect(answer.status).toBe(400);
    expect(answer.json).toMatchObject({
      code: 50215,
      status: 50215,
      data: null,
      message: expect.stringContaining('Input invalid for this service.'),
    });
    expect(jimengAdapter.readSubmit(answer)).toMatchObject({
      kind: 'rejected',
      code: 'vendor_invalid_request',
    });
  });

  it.each([
    [
      'text-to-video with every option',
      { req_key: 'jimeng_t2v_v30_1080p', prompt: 'a cat', frames: 241, aspect_ratio: '21:9', seed: 7 },
    ],
    [
      'S2.0 Pro image-to-video with an aspect ratio',
      { req_key: 'jimeng_vgfm_i2v_l20', prompt: 'a cat', image_urls: [imageUrl], aspect_ratio: '16:9' },
    ],
    [
      'first and last frame as base64',
      { req_key: 'jimeng_i2v_first_tail_v30', prompt: 'a cat', binary_data_base64: [jpegBase64, jpegBase64] },
    ],
    [
      '3.0 Pro with one image',
      { req_key: 'jimeng_ti2v_v30_pro', prompt: 'a cat', image_urls: [imageUrl], seed: -1 },
    ],
  ])('accepts %s', async (_what, body) => {
    expect(jimengAdapter.readSubmit(await send(submitCall(body)))).toMatchObject({ kind: 'accepted' });
  });
});

describe('Jimeng simulator: scripted faults', () => {
  it.each<[string, Fault, number, number]>([
    ['a QPS limit', { type: 'rate_limit' }, 429, 50429],
    ['a concurrency limit', { type: 'http_error', status: 429 }, 429, 50430],
    ['an internal error', { type: 'http_error', status: 500 }, 500, 50500],
    ['an internal algorithm error', { type: 'http_error', status: 503 }, 503, 50501],
  ])(
    'answers %s with its code, which is tried again later at submit and at poll',
    async (_what, fault, status, code) => {
      sim.world.inject('jimeng', 'submit', fault);
      const refused = await send(submitCall({ req_key: 'jimeng_t2v_v30', prompt: 'a cat' }));
      expect(refused.status).toBe(status);
      expect(refused.json).toMatchObject({ code, status: code, data: null });
      expect(jimengAdapter.readSubmit(refused)).toMatchObject({ kind: 'retry_later' });

      const task = await submit();
      sim.world.inject('jimeng', 'poll', fault);
      expect(jimengAdapter.readPoll(await poll(task), {})).toMatchObject({
        kind: 'retry_later',
        message: expect.stringContaining(String(code)),
      });
      expect(jimengAdapter.readPoll(await poll(task), {})).toMatchObject({ kind: 'processing' });
    },
  );

  it('rejects a prompt that fails the content check at submit, and fails a video that fails it at poll', async () => {
    sim.world.inject('jimeng', 'submit', { type: 'content_safety' });
    const refused = await send(submitCall({ req_key: 'jimeng_t2v_v30', prompt: 'a cat' }));
    expect(refused.status).toBe(400);
    expect(jimengAdapter.readSubmit(refused)).toEqual({
      kind: 'rejected',
      code: 'content_policy_violation',
      message: 'Jimeng 50412: Text Risk Not Pass: input text failed the content check',
    });

    const task = await submit();
    sim.world.inject('jimeng', 'poll', { type: 'content_safety' });
    expect(jimengAdapter.readPoll(await poll(task), {})).toMatchObject({
      kind: 'failed',
      code: 'content_policy_violation',
      message: expect.stringContaining('Post Video Risk Not Pass'),
    });
  });

  it('refuses the account with AccessDenied, which breaks the channel', async () => {
    sim.world.inject('jimeng', 'submit', { type: 'auth_error' });
    const answer = await send(submitCall({ req_key: 'jimeng_t2v_v30', prompt: 'a cat' }));
    expect(answer.status).toBe(403);
    expect(gatewayError(answer)).toMatchObject({ CodeN: 100013, Code: 'AccessDenied' });
    expect(jimengAdapter.readSubmit(answer)).toMatchObject({ kind: 'channel_broken' });
  });

  it('answers garbage when told to, which is tried again later', async () => {
    sim.world.inject('jimeng', 'poll', { type: 'garbage' });
    expect(jimengAdapter.readPoll(await poll(await submit()), {})).toMatchObject({ kind: 'retry_later' });
  });
});
