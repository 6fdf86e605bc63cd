/** `npm start`: the gateway alone, configured from the environment (see README). */
import { loadConfig, startupWarnings } from './config.js';
import { Gateway } from './gateway.js';

const config = loadConfig();
const gateway = await Gateway.create(config);
for (const warning of startupWarnings(config)) gateway.deps.log.warn(warning);
const url = await gateway.listen();
gateway.deps.log.info(`Reelay listening on ${url}`);
if (gateway.generatedAdminToken) {
  // Printed once: only its hash is kept. Set REELAY_ADMIN_TOKEN to choose your own.
  console.log(`\nAdmin token (shown once, keep it): ${gateway.generatedAdminToken}\n`);
}

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    gateway.deps.log.info({ signal }, 'shutting down');
    gateway.close().then(
      () => process.exit(0),
      (err: unknown) => {
        gateway.deps.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
}
