import { describe, expect, it } from 'vitest';
import { expectedVolcengineSignature, readVolcengineAuthorization } from './volcengine-signature.js';

/**
 * A request signed by Volcengine's official Node SDK (@volcengine/openapi 1.36.2, `Signer` in lib/base/sign.js,
 * run once with these inputs): the simulator's verifier, written from the docs, must reach the same signature.
 */
const official = {
  secretAccessKey: 'c2VjcmV0LWV4YW1wbGU=',
  url: '/?Action=CVSync2AsyncSubmitTask&Version=2022-08-31',
  body: '{"req_key":"jimeng_t2v_v30","prompt":"a cat surfing"}',
  headers: {
    host: 'visual.volcengineapi.com',
    'x-content-sha256': '90406f26b31d0efea0802ff4fd698b08343c872ec84d44e56ce2b65dff7dd6d4',
    'x-date': '20261201T120000Z',
  },
  authorization:
    'HMAC-SHA256 Credential=AKLTexample/20261201/cn-north-1/cv/request, SignedHeaders=host;x-content-sha256;x-date, Signature=0a8c981f05c71431589c12bc9ae98b98e4397e5e0c4e8e2bead74a8d0f36d72a',
};

const expectedFor = (changes: { body?: string; url?: string } = {}) => {
  const auth = readVolcengineAuthorization(official.authorization)!;
  return expectedVolcengineSignature(
    {
      method: 'POST',
      url: changes.url ?? official.url,
      headers: official.headers,
      body: changes.body ?? official.body,
      xDate: official.headers['x-date'],
    },
    auth,
    official.secretAccessKey,
  );
};

describe('Volcengine signature check', () => {
  it("reads the official SDK's Authorization header", () => {
    expect(readVolcengineAuthorization(official.authorization)).toEqual({
      accessKeyId: 'AKLTexample',
      date: '20261201',
      region: 'cn-north-1',
      service: 'cv',
      signedHeaders: ['host', 'x-content-sha256', 'x-date'],
      signature: '0a8c981f05c71431589c12bc9ae98b98e4397e5e0c4e8e2bead74a8d0f36d72a',
    });
  });

  it('computes the signature the official SDK computed for the same request', () => {
    expect(expectedFor()).toBe(readVolcengineAuthorization(official.authorization)!.signature);
  });

  it('computes another signature when the body or the query changes', () => {
    const signature = readVolcengineAuthorization(official.authorization)!.signature;
    expect(expectedFor({ body: official.body.replace('cat', 'dog') })).not.toBe(signature);
    expect(expectedFor({ url: official.url.replace('Submit', 'Get') })).not.toBe(signature);
  });

  it('reads a header with SignedQueries, as other SDK versions send, and refuses what is not a V4 signature', () => {
    const withQueries = official.authorization.replace(
      ', Signature=',
      ', SignedQueries=Action;Version, Signature=',
    );
    expect(readVolcengineAuthorization(withQueries)?.signature).toMatch(/^0a8c98/);
    expect(readVolcengineAuthorization('Bearer abc')).toBeNull();
    expect(
      readVolcengineAuthorization(official.authorization.replace('/request', '/aws4_request')),
    ).toBeNull();
    expect(
      readVolcengineAuthorization(official.authorization.replace(/Signature=\w+/, 'Signature=xyz')),
    ).toBeNull();
  });
});
