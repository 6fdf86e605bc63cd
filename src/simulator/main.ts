/** `npm run simulate`: the vendor simulators alone, for pointing channels (or curl) at them. */
import { startSimulator } from './server.js';
import { defaultJimengAccount } from './jimeng.js';
import { defaultKlingAccount } from './kling.js';
import { defaultViduAccount } from './vidu.js';
import { defaultOpenAIAccount } from './openai.js';

const port = Number(process.env.SIMULATOR_PORT ?? 4010);
const taskDurationMs = Number(process.env.SIMULATOR_TASK_MS ?? 8000);
const sim = await startSimulator({ port, taskDurationMs, logger: process.env.LOG_LEVEL === 'debug' });
console.log(`Vendor simulators listening on ${sim.url} (tasks take ${taskDurationMs} ms)`);
console.log(`  kling: base_url ${sim.baseUrl('kling')}  credentials ${JSON.stringify(defaultKlingAccount)}`);
console.log(
  `  jimeng: base_url ${sim.baseUrl('jimeng')}  credentials ${JSON.stringify(defaultJimengAccount)}`,
);
console.log(`  vidu:  base_url ${sim.baseUrl('vidu')}  credentials ${JSON.stringify(defaultViduAccount)}`);
console.log(
  `  openai: base_url ${sim.baseUrl('openai')}/v1  credentials ${JSON.stringify(defaultOpenAIAccount)}`,
);
const stop = () => void sim.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
