import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signJimengRequest, volcengineSignature } from './auth.js';

const sha256 = (data: string) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();

describe('Volcengine Signature V4', () => {
  it("reproduces the signature of Volcengine's published signing example", () => {
    // Volcengine's "签名过程Demo": GET iam ListUsers, signed at 20240619T071306Z, expected Signature e31c45….
    const signature = volcengineSignature({
      method: 'GET',
      path: '/',
      query: new URLSearchParams('Action=ListUsers&Version=2018-01-01&Limit=10&Offset=0'),
      headers: { host: 'iam.volcengineapi.com', 'x-date': '20240619T071306Z' },
      bodySha256: sha256(''),
      xDate: '20240619T071306Z',
      region: 'cn-beijing',
      service: 'iam',
      secretAccessKey: 'WkRZeE1EQmxPVGhsWWpWak5HVmtNbUUxTXpZeU9UVXlOMlE1TmpZeVlqTQ==',
    });
    expect(signature).toBe('e31c4558bcfe08a286001f59cedbf0791ffd0b2362f10e55ee2627467bcdde93');
  });

  it('signs a Jimeng submit exactly as the spec steps compute it', () => {
    const body = JSON.stringify({ req_key: 'jimeng_t2v_v30', prompt: '千军万马', frames: 121 });
    const headers = signJimengRequest(
      {
        method: 'POST',
        url: 'https://visual.volcengineapi.com/?Action=CVSync2AsyncSubmitTask&Version=2022-08-31',
        body,
      },
      { access_key_id: 'AKLTexampleKeyId', secret_access_key: 'ZXhhbXBsZS1zZWNyZXQ=' },
      new Date('2025-06-12T21:16:50.123Z'),
    );

    // The spec's steps, by hand: canonical request → string to sign → key chain from the raw secret → hex HMAC.
    const bodyHash = sha256(body);
    const canonicalRequest = [
      'POST',
      '/',
      'Action=CVSync2AsyncSubmitTask&Version=2022-08-31',
      'content-type:application/json',
      'host:visual.volcengineapi.com',
      `x-content-sha256:${bodyHash}`,
      'x-date:20250612T211650Z',
      '',
      'content-type;host;x-content-sha256;x-date',
      bodyHash,
    ].join('\n');
    const stringToSign = [
      'HMAC-SHA256',
      '20250612T211650Z',
      '20250612/cn-north-1/cv/request',
      sha256(canonicalRequest),
    ].join('\n');
    const signingKey = hmac(
      hmac(hmac(hmac('ZXhhbXBsZS1zZWNyZXQ=', '20250612'), 'cn-north-1'), 'cv'),
      'request',
    );
    const expected = createHmac('sha256', signingKey).update(stringToSign).digest('hex');

    expect(headers).toEqual({
      'content-type': 'application/json',
      host: 'visual.volcengineapi.com',
      'x-content-sha256': bodyHash,
      'x-date': '20250612T211650Z',
      authorization: `HMAC-SHA256 Credential=AKLTexampleKeyId/20250612/cn-north-1/cv/request, SignedHeaders=content-type;host;x-content-sha256;x-date, Signature=${expected}`,
    });
  });

  it('signs the query canonically, whatever order Action and Version come in', () => {
    const credentials = { access_key_id: 'AK', secret_access_key: 'SK' };
    const at = new Date('2025-01-01T00:00:00Z');
    const sign = (url: string) =>
      signJimengRequest({ method: 'POST', url, body: '{}' }, credentials, at).authorization;
    expect(sign('http://127.0.0.1:4010/jimeng/?Version=2022-08-31&Action=CVSync2AsyncGetResult')).toBe(
      sign('http://127.0.0.1:4010/jimeng/?Action=CVSync2AsyncGetResult&Version=2022-08-31'),
    );
  });
});
