/**
 * Holds the gateway to its OpenAPI document: every answer a test receives is checked, on the server as it leaves
 * (an onSend hook), against the document's entry for its route (Fastify's template, routeOptions.url), status
 * and content type, and JSON bodies against the response schema with ajv. A mismatch is recorded and fails the
 * test's harness when it closes, so the document cannot drift from what the routes answer.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { openApiPath, type OpenApiDocument } from '../../src/http/openapi/document.js';

interface MediaType {
  schema?: { $ref?: string; type?: string; format?: string };
}

interface ResponseEntry {
  content?: Record<string, MediaType>;
}

const componentRef = /^#\/components\/schemas\/(.+)$/;

export class ResponseConformance {
  readonly mismatches: string[] = [];
  /** Answers checked, by `METHOD template status`: what the document was held to. */
  readonly checked = new Map<string, number>();
  private document: OpenApiDocument | null = null;
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  private readonly validators = new Map<string, ValidateFunction>();

  /** Installs the check on `app` (before its routes: Gateway's `instrument` option). */
  install(app: FastifyInstance): void {
    app.addHook('onSend', async (request, reply, payload) => {
      this.check(request, reply, payload);
      return payload;
    });
  }

  /** The document to hold answers to; answers sent before it is known are not checked. */
  use(document: OpenApiDocument): void {
    this.document = document;
    const schemas = (document.components as { schemas: Record<string, unknown> }).schemas;
    // Component references point into the document; here they point into one schema holding them all as $defs.
    const defs = JSON.parse(JSON.stringify(schemas).replaceAll('"#/components/schemas/', '"reelay#/$defs/'));
    this.ajv.addSchema({ $id: 'reelay', $defs: defs });
  }

  /** Throws when an answer did not match the document. */
  assertConformed(): void {
    if (this.mismatches.length > 0) {
      throw new Error(`Answers that do not match /openapi.json:\n${this.mismatches.join('\n')}`);
    }
  }

  private check(request: FastifyRequest, reply: FastifyReply, payload: unknown): void {
    const template = request.routeOptions.url;
    const document = this.document;
    if (!document || !template || request.method === 'HEAD' || !request.routeOptions.config.openapi) return;
    const name = `${request.method} ${template} ${reply.statusCode}`;
    this.checked.set(name, (this.checked.get(name) ?? 0) + 1);
    const operation = document.paths[openApiPath(template)]?.[request.method.toLowerCase()] as
      { responses: Record<string, ResponseEntry> } | undefined;
    if (!operation) return this.mismatch(name, 'the route is not in the document');
    const entry = operation.responses[String(reply.statusCode)];
    if (!entry) return this.mismatch(name, 'the status is not documented');
    const contentType = String(reply.getHeader('content-type') ?? '')
      .split(';')[0]!
      .trim();
    if (!entry.content) {
      if (payload !== null && payload !== undefined && payload !== '')
        this.mismatch(name, 'a body where the document says none');
      return;
    }
    const media = Object.entries(entry.content).find(([range]) => mediaTypeMatches(range, contentType))?.[1];
    if (!media)
      return this.mismatch(name, `content type ${contentType} is not one of ${Object.keys(entry.content)}`);
    const ref = componentRef.exec(media.schema?.$ref ?? '')?.[1];
    if (!ref) return;
    if (typeof payload !== 'string' && !Buffer.isBuffer(payload))
      return this.mismatch(name, 'a JSON answer that is not a string or buffer');
    const body: unknown = JSON.parse(payload.toString());
    const validate = this.validator(ref);
    if (!validate(body)) {
      this.mismatch(
        name,
        `${this.ajv.errorsText(validate.errors, { dataVar: 'body' })}\n  body: ${JSON.stringify(body).slice(0, 600)}`,
      );
    }
  }

  private validator(component: string): ValidateFunction {
    let validate = this.validators.get(component);
    if (!validate) {
      validate = this.ajv.getSchema(`reelay#/$defs/${component}`)!;
      this.validators.set(component, validate);
    }
    return validate;
  }

  private mismatch(name: string, problem: string): void {
    this.mismatches.push(`${name}: ${problem}`);
  }
}

/** `image/*` covers image/webp; an exact type covers itself. */
function mediaTypeMatches(range: string, contentType: string): boolean {
  if (range.endsWith('/*')) return contentType.startsWith(range.slice(0, -1));
  return range === contentType;
}
