/**
 * The web console (console/, a single-page app built into console/dist by `npm install`) served under /console.
 * It is static: everything it shows comes from the admin and public APIs, with the token the user signs in with.
 */
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../package-root.js';

export const consoleDist = join(packageRoot, 'console/dist');

/** The console only talks to this gateway; videos may come from a vendor's own URL. */
const contentSecurityPolicy = [
  "default-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data: blob:",
  'media-src * blob:',
  // Chart libraries set inline style attributes.
  "style-src 'self' 'unsafe-inline'",
  "frame-ancestors 'none'",
].join('; ');

export function consoleApp(distDir = consoleDist) {
  return async function plugin(app: FastifyInstance) {
    if (!existsSync(`${distDir}/index.html`)) {
      app.get('/console', async (_request, reply) =>
        reply
          .code(503)
          .type('text/plain')
          .send('The console is not built: run `npm run build:console` (npm install does it).'),
      );
      return;
    }
    await app.register(fastifyStatic, {
      root: distDir,
      prefix: '/console/',
      setHeaders: (reply, path) => {
        reply.headers({
          // Built assets carry a content hash in their names: cache them for good; never the page itself.
          'cache-control': path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
          'content-security-policy': contentSecurityPolicy,
          'x-content-type-options': 'nosniff',
          'referrer-policy': 'no-referrer',
        });
      },
    });
    app.get('/console', async (_request, reply) => reply.redirect('/console/'));
  };
}
