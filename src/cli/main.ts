/**
 * `reelay`: the command-line client of a Reelay gateway (package.json `bin`). Exit codes: 0 the task succeeded
 * (or the command did what it says), 1 the task failed or the gateway refused, 2 a usage error.
 */
import { Command, CommanderError, Option } from 'commander';
import { addAdminCommands } from './admin.js';
import { GatewayError, imageArgument, ReelayClient, UsageError, type Task } from './client.js';
import { download, taskDisplay } from './display.js';
import { followTask } from './follow.js';

/** How the process ends: the exit code, and what stderr says first. */
class Exit extends Error {
  constructor(
    readonly code: number,
    message = '',
  ) {
    super(message);
  }
}

interface GlobalOptions {
  baseUrl: string;
  apiKey?: string;
  adminToken?: string;
  json?: boolean;
}

const program = new Command('reelay')
  .description('Generate videos through a Reelay gateway, follow them live, and download them.')
  .addOption(
    new Option('--base-url <url>', 'the gateway').env('REELAY_BASE_URL').default('http://127.0.0.1:3000'),
  )
  .addOption(new Option('--api-key <key>', 'an API key (sk-…)').env('REELAY_API_KEY'))
  .addOption(
    new Option('--admin-token <token>', 'the admin token, for `reelay admin`').env('REELAY_ADMIN_TOKEN'),
  )
  .option('--json', 'print the task (or answer) as JSON instead of words')
  .showHelpAfterError()
  .exitOverride();

const globals = () => program.opts<GlobalOptions>();
const client = () => {
  const { baseUrl, apiKey, adminToken } = globals();
  return new ReelayClient({ baseUrl, apiKey, adminToken });
};

const fetchTask = (taskId: string) =>
  client().json<Task>('GET', `/v1/video/generations/${encodeURIComponent(taskId)}`);

function print(task: Task): void {
  if (globals().json) {
    process.stdout.write(`${JSON.stringify(task, null, 2)}\n`);
    return;
  }
  const parts = [task.task_id, task.status, `${task.progress}%`, task.model];
  if (task.url) parts.push(task.url);
  process.stdout.write(`${parts.join('  ')}\n`);
}

/** Ends with the task's outcome: 0 when it succeeded (or still runs), 1 with its error when it failed. */
function finish(task: Task): never {
  if (task.status === 'failed') {
    throw new Exit(
      1,
      `${task.task_id} failed: ${task.error?.message ?? 'generation failed'} (${task.error?.code})`,
    );
  }
  throw new Exit(0);
}

/** Follows a task live to its end, then downloads its video to `output` when asked. */
async function waitAndFetch(task: Task, output: string | undefined): Promise<never> {
  const display = taskDisplay();
  display.update(task);
  let endedTask: Task;
  try {
    endedTask = await followTask(client(), task.task_id, (t) => display.update(t));
  } finally {
    display.stop();
  }
  if (endedTask.status === 'succeeded' && output && endedTask.url) {
    const bytes = await download(endedTask.url, output);
    if (!globals().json) process.stderr.write(`saved ${output} (${bytes} bytes)\n`);
  }
  print(endedTask);
  finish(endedTask);
}

const integer = (name: string) => (value: string) => {
  if (!/^-?\d+$/.test(value)) throw new UsageError(`${name}: expected an integer, got "${value}"`);
  return Number(value);
};
const number = (name: string) => (value: string) => {
  if (!Number.isFinite(Number(value)) || value.trim() === '') {
    throw new UsageError(`${name}: expected a number, got "${value}"`);
  }
  return Number(value);
};
function jsonObject(value: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new UsageError(`--metadata: not valid JSON: ${value}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UsageError('--metadata: expected a JSON object');
  }
  return parsed as Record<string, unknown>;
}

program
  .command('generate')
  .description('submit a generation, follow it live and download the video')
  .requiredOption('-m, --model <model>', 'a model the key may use (see `reelay models`)')
  .requiredOption('-p, --prompt <text>', 'what the video shows')
  .option('--image <file|url>', 'first frame: a local image file (sent as a data URL) or a URL')
  .option('--image-tail <file|url>', 'last frame (metadata.image_tail), as --image')
  .option('--duration <seconds>', 'video length in seconds', number('--duration'))
  .option('--size <WxH>', 'e.g. 1280x720')
  .option('--seed <n>', 'seed, where the vendor takes one', integer('--seed'))
  .option('--metadata <json>', 'vendor-specific fields as a JSON object', jsonObject)
  .option('-o, --output <file>', 'where to save the video (default: <task_id>.mp4)')
  .option('--no-wait', 'print the task at once instead of following it')
  .action(async (options) => {
    const metadata: Record<string, unknown> = { ...options.metadata };
    if (options.imageTail) metadata.image_tail = await imageArgument(options.imageTail);
    const body = {
      model: options.model,
      prompt: options.prompt,
      ...(options.image ? { image: await imageArgument(options.image) } : {}),
      ...(options.duration !== undefined ? { duration: options.duration } : {}),
      ...(options.size ? { size: options.size } : {}),
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      ...(Object.keys(metadata).length > 0 ? { metadata } : {}),
    };
    const task = await client().json<Task>('POST', '/v1/video/generations', { body });
    if (!options.wait) {
      print(task);
      finish(task);
    }
    await waitAndFetch(task, options.output ?? `${task.task_id}.mp4`);
  });

program
  .command('status')
  .description("print a task's status")
  .argument('<task_id>')
  .action(async (taskId: string) => {
    const task = await fetchTask(taskId);
    print(task);
    finish(task);
  });

program
  .command('wait')
  .description('follow a task live until it ends')
  .argument('<task_id>')
  .option('-o, --output <file>', 'also save the video here when it succeeds')
  .action(async (taskId: string, options: { output?: string }) => {
    const task = await fetchTask(taskId);
    await waitAndFetch(task, options.output);
  });

program
  .command('cancel')
  .description('cancel a task (where its vendor can stop it)')
  .argument('<task_id>')
  .action(async (taskId: string) => {
    const path = `/v1/video/generations/${encodeURIComponent(taskId)}/cancel`;
    print(await client().json<Task>('POST', path));
  });

program
  .command('list')
  .description('your tasks, newest first')
  .option('-n, --limit <n>', 'how many', integer('--limit'), 20)
  .action(async (options: { limit: number }) => {
    const page = await client().json<{ data: Task[] }>('GET', `/v1/video/generations?limit=${options.limit}`);
    if (globals().json) process.stdout.write(`${JSON.stringify(page.data, null, 2)}\n`);
    else for (const task of page.data) print(task);
  });

program
  .command('models')
  .description('the models this key can use now')
  .action(async () => {
    interface Model {
      id: string;
      reelay: { vendors: string[]; price: { unit: string; price: number; free: boolean } };
    }
    const { data } = await client().json<{ data: Model[] }>('GET', '/v1/models');
    if (globals().json) process.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
    for (const { id, reelay } of globals().json ? [] : data) {
      const price = reelay.price.free ? 'free' : `${reelay.price.price} per ${reelay.price.unit}`;
      process.stdout.write(`${id}  ${reelay.vendors.join(',')}  ${price}\n`);
    }
  });

program
  .command('download')
  .description("save a succeeded task's video")
  .argument('<task_id>')
  .option('-o, --output <file>', 'where to save it (default: <task_id>.mp4)')
  .action(async (taskId: string, options: { output?: string }) => {
    const task = await fetchTask(taskId);
    if (task.status !== 'succeeded' || !task.url)
      throw new Exit(1, `${taskId} has no video (${task.status})`);
    const file = options.output ?? `${task.task_id}.mp4`;
    const bytes = await download(task.url, file);
    process.stdout.write(`${file}\n`);
    if (!globals().json) process.stderr.write(`saved ${file} (${bytes} bytes)\n`);
  });

addAdminCommands(program, client, () => globals().json ?? false);

/** Maps every way the program ends to an exit code and a message. */
function exitCodeOf(err: unknown): { code: number; message: string } {
  if (err instanceof Exit) return { code: err.code, message: err.message };
  if (err instanceof CommanderError) {
    const helped = ['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(err.code);
    // Commander has printed its own message already.
    return { code: helped ? 0 : 2, message: '' };
  }
  if (err instanceof UsageError) return { code: 2, message: `error: ${err.message}` };
  // The gateway's 400 is a request that cannot work as given: a usage error too.
  if (err instanceof GatewayError)
    return { code: err.status === 400 ? 2 : 1, message: `error: ${err.message}` };
  return { code: 1, message: `error: ${(err as Error).stack ?? String(err)}` };
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  const { code, message } = exitCodeOf(err);
  if (message) process.stderr.write(`${message}\n`);
  process.exitCode = code;
}
