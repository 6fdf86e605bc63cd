/** `reelay admin …`: what an operator does daily, through /admin/v1 with REELAY_ADMIN_TOKEN. */
import type { Command } from 'commander';
import type { ReelayClient } from './client.js';

type Row = Record<string, unknown>;

/** Adds `admin` to the program (so that it inherits the program's settings: exit codes, help after errors). */
export function addAdminCommands(program: Command, client: () => ReelayClient, json: () => boolean): void {
  const admin = program
    .command('admin')
    .description('operator commands (REELAY_ADMIN_TOKEN or --admin-token)');
  const call = <T = unknown>(method: string, path: string, body?: unknown) =>
    client().json<T>(method, `/admin/v1${path}`, { body, admin: true });
  /** Rows as JSON, or one line each of the named fields. */
  const show = (rows: Row[], fields: string[]) => {
    if (json()) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    else
      for (const row of rows)
        process.stdout.write(`${fields.map((f) => String(row[f] ?? '-')).join('  ')}\n`);
  };
  const showOne = (row: Row): void => {
    process.stdout.write(`${JSON.stringify(row, null, 2)}\n`);
  };

  const channels = admin.command('channels').description('vendor accounts');
  channels
    .command('list', { isDefault: true })
    .description('every channel with its health')
    .action(async () => {
      const { data } = await call<{ data: Row[] }>('GET', '/channels');
      show(data, ['id', 'vendor', 'name', 'enabled', 'priority', 'models']);
    });
  for (const [name, enabled] of [
    ['enable', true],
    ['disable', false],
  ] as const) {
    channels
      .command(name)
      .argument('<channel_id>')
      .description(`${name} a channel`)
      .action(async (id: string) => showOne(await call<Row>('PATCH', `/channels/${id}`, { enabled })));
  }
  channels
    .command('test')
    .argument('<channel_id>')
    .description("check a channel's credentials with one cheap vendor call")
    .action(async (id: string) => showOne(await call<Row>('POST', `/channels/${id}/test`)));

  const users = admin.command('users').description('users and their money');
  users
    .command('list', { isDefault: true })
    .description('every user with their balance')
    .action(async () => show((await call<{ data: Row[] }>('GET', '/users')).data, ['id', 'name', 'balance']));
  users
    .command('create')
    .argument('<name>')
    .description('a new user')
    .action(async (name: string) => showOne(await call<Row>('POST', '/users', { name })));
  users
    .command('topup')
    .argument('<user_id>')
    .argument('<amount>', 'micro-units (1 unit = 1000000)')
    .option('--note <text>')
    .description("add to a user's balance")
    .action(async (id: string, amount: string, options: { note?: string }) =>
      showOne(await call<Row>('POST', `/users/${id}/topup`, { amount: Number(amount), note: options.note })),
    );

  const keys = admin.command('keys').description('API keys');
  keys
    .command('list', { isDefault: true })
    .argument('<user_id>')
    .description("a user's keys (no secrets)")
    .action(async (userId: string) =>
      show((await call<{ data: Row[] }>('GET', `/users/${userId}/keys`)).data, [
        'id',
        'name',
        'key_hint',
        'models',
      ]),
    );
  keys
    .command('create')
    .argument('<user_id>')
    .option('--name <name>')
    .option('--models <list>', 'comma-separated models the key may use (default: all)')
    .description('a new key; its secret is shown only now')
    .action(async (userId: string, options: { name?: string; models?: string }) =>
      showOne(
        await call<Row>('POST', `/users/${userId}/keys`, {
          name: options.name,
          models: options.models?.split(',').map((m) => m.trim()),
        }),
      ),
    );
  keys
    .command('revoke')
    .argument('<user_id>')
    .argument('<key_id>')
    .description('revoke a key at once')
    .action(async (userId: string, keyId: string) => {
      await call('DELETE', `/users/${userId}/keys/${keyId}`);
      process.stdout.write(`revoked ${keyId}\n`);
    });

  const prices = admin.command('prices').description("models' prices");
  prices
    .command('list', { isDefault: true })
    .description('every price')
    .action(async () =>
      show((await call<{ data: Row[] }>('GET', '/prices')).data, ['model', 'unit', 'price', 'free']),
    );
  prices
    .command('set')
    .argument('<model>')
    .option('--unit <unit>', 'call or second', 'second')
    .option('--price <micro>', 'micro-units per unit', '0')
    .option('--free', 'no charge at all')
    .description("set a model's price")
    .action(async (model: string, options: { unit: string; price: string; free?: boolean }) =>
      showOne(
        await call<Row>('PUT', `/prices/${model}`, {
          unit: options.unit,
          price: Number(options.price),
          ...(options.free ? { free: true } : {}),
        }),
      ),
    );
}
