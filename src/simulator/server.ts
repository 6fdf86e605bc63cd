/** One HTTP server hosting every vendor simulator, each under its own prefix (its channel base URL). */
import Fastify, { type FastifyInstance } from 'fastify';
import { answerDelays } from './faults.js';
import { simulators } from './registry.js';
import { simulatedClip } from './clips.js';
import { SimWorld, sleep, type WorldOptions } from './world.js';

/** The clip a task that asks for no particular length or size gets (clips.ts: 5 s at 1280x720). */
export const sampleVideo = simulatedClip();

/** The sample video grown to `size` bytes by a trailing `free` box (players skip it), for large-file benchmarks. */
export function paddedVideo(size: number): Buffer {
  const padding = size - sampleVideo.length;
  if (padding < 8 || size >= 2 ** 32) throw new Error(`cannot pad the sample video to ${size} bytes`);
  const box = Buffer.alloc(padding);
  box.writeUInt32BE(padding, 0);
  box.write('free', 4, 'ascii');
  return Buffer.concat([sampleVideo, box]);
}

export interface BuildOptions {
  logger?: boolean;
  /** Size of the result videos served; the sample's own size when unset. */
  videoBytes?: number;
}

export interface SimulatorOptions extends Partial<WorldOptions>, BuildOptions {
  port?: number;
  host?: string;
}

export interface RunningSimulator {
  url: string;
  world: SimWorld;
  /** Base URL of one vendor's simulator (its prefix, without the vendor's base path). */
  baseUrl(vendor: string): string;
  close(): Promise<void>;
}

export async function buildSimulator(world: SimWorld, options: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({ logger: options.logger ?? false, bodyLimit: 64 * 1024 * 1024 });
  // Benchmarks ask for large files of one size; otherwise each file is the clip its task asked for.
  const padded = options.videoBytes ? paddedVideo(options.videoBytes) : null;
  // Counted from the request's arrival until its answer is sent or the connection closes.
  app.addHook('onRequest', async (request, reply) => {
    const vendor = request.url.split('/')[1] ?? '';
    world.callStarted(vendor);
    // A GET of one URL queries one task (Kling, Vidu, OpenAI name it in the path; Jimeng's POST queries are not counted).
    const query = request.method === 'GET' && vendor !== 'files' ? request.url : null;
    if (query) world.queryStarted(query);
    reply.raw.once('close', () => {
      world.callEnded(vendor);
      if (query) world.queryEnded(query);
    });
  });
  app.addHook('onSend', async (request) => {
    const delayMs = answerDelays.get(request);
    if (delayMs) await sleep(delayMs);
  });
  for (const simulator of simulators) {
    await app.register(simulator.routes(world), { prefix: `/${simulator.vendor}` });
  }

  app.get<{ Params: { name: string } }>('/files/:name.mp4', async (request, reply) => {
    if (!world.fileIsLive(request.params.name))
      return reply.code(403).send('AccessDenied: the link has expired');
    return reply
      .header('content-type', 'video/mp4')
      .send(padded ?? simulatedClip(world.clipOf(request.params.name)));
  });
  return app;
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  const world = new SimWorld({
    taskDurationMs: options.taskDurationMs ?? 3000,
    taskJitterMs: options.taskJitterMs ?? 0,
  });
  const app = await buildSimulator(world, options);
  const host = options.host ?? '127.0.0.1';
  await app.listen({ port: options.port ?? 0, host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const url = `http://${host}:${port}`;
  return {
    url,
    world,
    baseUrl: (vendor) => `${url}/${vendor}`,
    close: async () => {
      world.close();
      await app.close();
    },
  };
}
