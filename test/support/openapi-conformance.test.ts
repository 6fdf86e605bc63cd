import Fastify from 'fastify';
import { z } from 'zod';
import { afterAll, describe, expect, it } from 'vitest';
import { buildOpenApiDocument, recordRoutes } from '../../src/http/openapi/document.js';
import { apiDoc } from '../../src/http/openapi/route-doc.js';
import { Harness } from './harness.js';
import { ResponseConformance } from './openapi-conformance.js';

/** An app whose one route answers what its document entry says, or not, as the query asks. */
async function appWithDrift() {
  const app = Fastify();
  const routes = recordRoutes(app);
  const conformance = new ResponseConformance();
  conformance.install(app);
  const thing = z.object({ id: z.string(), size: z.number().int() });
  const doc = apiDoc({
    summary: 'A thing',
    tag: 'operations',
    security: 'none',
    params: z.object({ id: z.string() }),
    responses: { 200: { description: 'The thing', schema: thing } },
  });
  app.get<{ Params: { id: string }; Querystring: { answer?: string } }>(
    '/things/:id',
    doc,
    async (request, reply) => {
      switch (request.query.answer) {
        case 'wrong-type':
          return { id: request.params.id, size: 'large' };
        case 'extra-field':
          return { id: request.params.id, size: 1, secret: 'x' };
        case 'undocumented-status':
          return reply.code(202).send({ id: request.params.id, size: 1 });
        case 'text':
          return reply.type('text/plain').send('a thing');
        default:
          return { id: request.params.id, size: 1 };
      }
    },
  );
  await app.ready();
  conformance.use(buildOpenApiDocument(routes, { version: '0' }));
  return { app, conformance };
}

describe('the response conformance check', () => {
  it('passes answers that match the document, matched by the route template', async () => {
    const { app, conformance } = await appWithDrift();
    await app.inject('/things/a');
    await app.inject('/things/b%20c');
    expect(conformance.mismatches).toEqual([]);
    expect(conformance.checked.get('GET /things/:id 200')).toBe(2);
    expect(() => conformance.assertConformed()).not.toThrow();
  });

  it.each([
    ['wrong-type', /size/],
    ['extra-field', /additional properties/],
    ['undocumented-status', /status is not documented/],
    ['text', /content type text\/plain/],
  ])('records an answer that drifted from the document: %s', async (answer, problem) => {
    const { app, conformance } = await appWithDrift();
    await app.inject(`/things/a?answer=${answer}`);
    expect(conformance.mismatches).toHaveLength(1);
    expect(conformance.mismatches[0]).toMatch(problem);
    expect(() => conformance.assertConformed()).toThrow(/do not match \/openapi.json/);
  });

  describe('in the harness', () => {
    let h: Harness;
    afterAll(() => h.close());

    it("checks the gateway's answers, errors included", async () => {
      h = await Harness.start();
      await h.http('GET', '/v1/models');
      await h.http('GET', '/v1/video/generations/nope', { token: 'sk-unknown' });
      expect(h.conformance.checked.get('GET /v1/models 401')).toBe(1);
      expect(h.conformance.checked.get('GET /v1/video/generations/:task_id 401')).toBe(1);
      expect(h.conformance.mismatches).toEqual([]);
    });
  });
});
