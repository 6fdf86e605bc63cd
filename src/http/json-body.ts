/** JSON request bodies: Fastify's own parser (prototype poisoning refused), behind a nesting-depth check. */
import type { FastifyInstance } from 'fastify';
import { InvalidRequestError } from '../errors.js';
import { maxJsonDepth, nestsDeeperThan } from '../security/json-depth.js';

export function tooDeep(param: string | null): InvalidRequestError {
  return new InvalidRequestError(
    `The JSON${param ? ` in ${param}` : ''} nests deeper than ${maxJsonDepth} levels`,
    param,
    'json_too_deep',
  );
}

export function installJsonBodies(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (nestsDeeperThan(body as string)) return done(tooDeep(null), undefined);
    parseJson(request, body as string, done);
  });
}
