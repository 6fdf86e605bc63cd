/** Vendor callbacks: a forged token is refused from the headers alone, before any of the body is read. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from '../support/harness.js';
import { rawExchange } from '../support/raw-http.js';

describe('a vendor callback with a forged token', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start({ publicUrl: true });
  });
  afterAll(() => h.close());

  it('is a 404 before its body arrives', async () => {
    // A megabyte announced, none of it sent: the answer must come from the headers alone.
    const answer = await rawExchange(
      h.url,
      'POST /v1/vendor-callbacks/job_forged.AAAA HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
        'Content-Length: 1000000\r\n\r\n',
    );
    expect(answer).toMatch(/^HTTP\/1.1 404/);
    expect(answer).toContain('callback_not_found');
  });
});
