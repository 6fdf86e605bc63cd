import { Validator } from '@seriousme/openapi-schema-validator';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from '../../../test/support/harness.js';
import {
  originJimengExample,
  originKlingExample,
  originViduExample,
} from '../generations/origin-examples.js';
import { openApiPath, type OpenApiDocument } from './document.js';

/** Routes deliberately left out of the document, each with its reason. */
const undocumented: { route: RegExp; reason: string }[] = [
  { route: /^\/v1\/vendor-callbacks\//, reason: 'vendors call these with a signed token; not a client API' },
  { route: /^\/console(\/|$)/, reason: "the console's static web app, not an API" },
  { route: /^\/docs\/(assets\/|reference\.js$)/, reason: "the reference page's own scripts and styles" },
];

describe('the OpenAPI document', () => {
  let h: Harness;
  let document: OpenApiDocument;

  beforeAll(async () => {
    h = await Harness.start();
    const res = await h.http<OpenApiDocument>('GET', '/openapi.json');
    expect(res.status).toBe(200);
    document = res.body;
  });
  afterAll(() => h.close());

  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const result = await validator.validate(document);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    // Every schema reference points at a component that exists.
    const schemas = (document.components as { schemas: Record<string, unknown> }).schemas;
    const refs = [...JSON.stringify(document).matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(20);
    for (const ref of refs) expect(schemas).toHaveProperty([ref.replace('#/components/schemas/', '')]);
  });

  it('covers every route Fastify registered, but the ones excluded for a stated reason', () => {
    const routes = h.gateway.routes.filter((route) => route.method !== 'HEAD');
    const missing = routes.filter(
      (route) =>
        !document.paths[openApiPath(route.url)]?.[route.method.toLowerCase()] &&
        !undocumented.some(({ route: pattern }) => pattern.test(route.url)),
    );
    expect(missing.map((route) => `${route.method} ${route.url}`)).toEqual([]);
    // And the exclusions exclude something real, no documented route among them.
    for (const { route: pattern } of undocumented) {
      expect(routes.some((route) => pattern.test(route.url))).toBe(true);
      expect(Object.keys(document.paths).filter((path) => pattern.test(path))).toEqual([]);
    }
    for (const path of ['/v1/video/generations/{task_id}', '/v1/videos/{video_id}/content', '/v1/models']) {
      expect(document.paths).toHaveProperty([path]);
    }
  });

  it('puts the admin API in its own tag, behind the admin token, and the public routes behind an API key', () => {
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const operation of Object.values(operations) as { tags: string[]; security: unknown[] }[]) {
        if (path.startsWith('/admin/v1/')) {
          expect(operation.tags).toEqual(['admin']);
          expect(operation.security).toEqual([{ adminToken: [] }]);
        } else if (path.startsWith('/v1/')) {
          expect(operation.tags).not.toContain('admin');
          expect(operation.security).toContainEqual({ apiKey: [] });
        }
      }
    }
  });

  it("answers errors in each surface's own shape", () => {
    const errorOf = (path: string, method: string, status: number) =>
      (document.paths[path]![method] as any).responses[status].content['application/json'].schema.$ref;
    expect(errorOf('/v1/video/generations', 'post', 400)).toBe('#/components/schemas/GenerationsError');
    expect(errorOf('/v1/videos', 'post', 400)).toBe('#/components/schemas/OpenAIError');
    expect(errorOf('/v1/models/{model}', 'get', 404)).toBe('#/components/schemas/OpenAIError');
    expect(errorOf('/admin/v1/users', 'post', 401)).toBe('#/components/schemas/GenerationsError');
  });

  it('is shipped as docs/openapi.json, the same as served (npm run openapi writes it)', () => {
    const shipped: unknown = JSON.parse(
      readFileSync(new URL('../../../docs/openapi.json', import.meta.url), 'utf8'),
    );
    expect(shipped).toEqual(document);
  });

  it("shows the origin document's Kling, Jimeng and Vidu request examples verbatim", () => {
    const submit = document.paths['/v1/video/generations']!.post as any;
    const examples = submit.requestBody.content['application/json'].examples;
    expect(examples.kling.value).toEqual(originKlingExample);
    expect(examples.jimeng.value).toEqual(originJimengExample);
    expect(examples.vidu.value).toEqual(originViduExample);
  });
});
