/** The query path's baseline: a bare node:http server answering one JSON body from memory, nothing else. */
import { createServer, type Server } from 'node:http';
import { serveParent } from './child.js';

let server: Server;

serveParent({
  async start({ body }: { body: string }) {
    const bytes = Buffer.from(body);
    server = createServer((_request, response) => {
      response.writeHead(200, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': bytes.length,
      });
      response.end(bytes);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    return { url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` };
  },
  stop: () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
});
