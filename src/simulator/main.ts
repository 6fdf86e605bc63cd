/** `npm run simulate`: the vendor simulators alone, for pointing channels (or curl) at them. */
import { demoChannels } from './accounts.js';
import { startSimulator } from './server.js';

const port = Number(process.env.SIMULATOR_PORT ?? 4010);
const taskDurationMs = Number(process.env.SIMULATOR_TASK_MS ?? 8000);
const sim = await startSimulator({ port, taskDurationMs, logger: process.env.LOG_LEVEL === 'debug' });
console.log(`Vendor simulators listening on ${sim.url} (tasks take ${taskDurationMs} ms)`);
for (const channel of demoChannels(sim)) {
  console.log(
    `  ${channel.vendor}: base_url ${channel.base_url}  credentials ${JSON.stringify(channel.credentials)}`,
  );
}
const stop = () => void sim.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
