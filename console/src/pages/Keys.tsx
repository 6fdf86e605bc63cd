/** Users and their API keys: create (the key is shown once), edit limits, revoke; balance and top-up. */
import { useState, type FormEvent } from 'react';
import type { ApiKey, List, User } from '../api';
import { dateTime, money, toMicro, units } from '../format';
import { navigate, useResource } from '../hooks';
import { useSession, useSignedIn } from '../session';
import {
  Badge,
  CopyButton,
  Dialog,
  DialogActions,
  Empty,
  ErrorNotice,
  Field,
  Loaded,
  PageHeader,
  SubmitButton,
  Table,
  useAction,
} from '../ui';

export function KeysPage({ userId }: { userId?: string }) {
  const { api } = useSignedIn();
  const users = useResource(() => api<List<User>>('GET', '/admin/v1/users'), 'users');
  const selected = users.data?.data.find((u) => u.id === userId) ?? users.data?.data[0];

  return (
    <>
      <PageHeader title="Keys & users" />
      <div className="split">
        <section aria-labelledby="users-title" className="panel">
          <h2 id="users-title">Users</h2>
          <NewUserForm
            onCreated={(user) => {
              users.reload();
              navigate(`/keys/${user.id}`);
            }}
          />
          <Loaded resource={users} label="Loading users…">
            {({ data }) =>
              data.length === 0 ? (
                <Empty>No users yet.</Empty>
              ) : (
                <ul className="pick-list">
                  {data.map((user) => (
                    <li key={user.id}>
                      <a
                        href={`#/keys/${user.id}`}
                        aria-current={user.id === selected?.id ? 'true' : undefined}
                      >
                        <span>{user.name}</span>
                        <span className="sub">{money(user.balance)}</span>
                      </a>
                    </li>
                  ))}
                </ul>
              )
            }
          </Loaded>
        </section>
        {selected ? (
          <UserPanel key={selected.id} user={selected} onChanged={users.reload} />
        ) : (
          users.data && <Empty>Create a user to give out API keys.</Empty>
        )}
      </div>
    </>
  );
}

function NewUserForm({ onCreated }: { onCreated: (user: User) => void }) {
  const { api } = useSignedIn();
  const [name, setName] = useState('');
  const action = useAction();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void action.run(async () => {
      const user = await api<User>('POST', '/admin/v1/users', { name: name.trim() });
      setName('');
      onCreated(user);
    });
  };
  return (
    <form onSubmit={submit} className="inline-form">
      <Field label="New user's name">
        {(props) => (
          <input {...props} required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} />
        )}
      </Field>
      <SubmitButton busy={action.busy}>Add user</SubmitButton>
      {action.error && <ErrorNotice error={action.error} />}
    </form>
  );
}

function keyState(key: ApiKey): string {
  if (key.revoked_at !== null) return 'revoked';
  if (key.expires_at !== null && key.expires_at * 1000 <= Date.now()) return 'expired';
  return 'active';
}

function UserPanel({ user, onChanged }: { user: User; onChanged: () => void }) {
  const { api } = useSignedIn();
  const keys = useResource(
    () => api<List<ApiKey>>('GET', `/admin/v1/users/${user.id}/keys`),
    `keys-${user.id}`,
  );
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<ApiKey | null>(null);
  const revoke = useAction();

  return (
    <section aria-labelledby="user-title" className="panel grow">
      <div className="panel-header">
        <h2 id="user-title">{user.name}</h2>
        <span className="sub mono">{user.id}</span>
      </div>
      <div className="stats">
        <div className="stat">
          <span className="stat-label">Balance</span>
          <span className="stat-value" data-testid="balance">
            {money(user.balance)}
          </span>
        </div>
      </div>
      <TopUpForm userId={user.id} onDone={onChanged} />

      <div className="panel-header">
        <h3>API keys</h3>
        <button type="button" className="primary" onClick={() => setCreating(true)}>
          New key
        </button>
      </div>
      {revoke.error && <ErrorNotice error={revoke.error} />}
      <Loaded resource={keys} label="Loading keys…">
        {({ data }) =>
          data.length === 0 ? (
            <Empty>This user has no keys yet.</Empty>
          ) : (
            <Table
              caption={`API keys of ${user.name}`}
              columns={[
                'Name',
                'Key',
                'Models',
                'Spent / limit',
                'Expires',
                'State',
                { label: 'Actions', hidden: true },
              ]}
            >
              {data.map((key) => (
                <tr key={key.id}>
                  <th scope="row">{key.name ?? <span className="sub">unnamed</span>}</th>
                  <td className="mono">{key.hint}</td>
                  <td>{key.models ? key.models.join(', ') : 'all'}</td>
                  <td>
                    {money(key.spent)} / {key.spend_limit === null ? 'no limit' : money(key.spend_limit)}
                  </td>
                  <td>{key.expires_at === null ? 'never' : dateTime(key.expires_at)}</td>
                  <td>
                    <Badge state={keyState(key)} />
                  </td>
                  <td className="row-actions">
                    {key.revoked_at === null && (
                      <button
                        type="button"
                        aria-label={`Edit limits of ${key.name ?? key.hint}`}
                        onClick={() => setEditing(key)}
                      >
                        Edit limits
                      </button>
                    )}
                    {key.revoked_at === null && (
                      <button
                        type="button"
                        className="danger"
                        aria-label={`Revoke key ${key.name ?? key.hint}`}
                        disabled={revoke.busy}
                        onClick={() => {
                          if (!window.confirm(`Revoke ${key.name ?? key.hint}? Requests with it will fail.`))
                            return;
                          void revoke.run(async () => {
                            await api('DELETE', `/admin/v1/users/${user.id}/keys/${key.id}`);
                            keys.reload();
                          });
                        }}
                      >
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </Table>
          )
        }
      </Loaded>
      {creating && (
        <NewKeyDialog user={user} onClose={() => setCreating(false)} onCreated={() => keys.reload()} />
      )}
      {editing && (
        <EditLimitsDialog
          user={user}
          apiKey={editing}
          onClose={() => setEditing(null)}
          onSaved={() => {
            setEditing(null);
            keys.reload();
          }}
        />
      )}
    </section>
  );
}

function TopUpForm({ userId, onDone }: { userId: string; onDone: () => void }) {
  const { api } = useSignedIn();
  const [amount, setAmount] = useState('');
  const [note, setNote] = useState('');
  const [done, setDone] = useState<string | null>(null);
  const action = useAction();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const micro = toMicro(amount);
    void action.run(async () => {
      if (micro === null || micro <= 0) throw new Error('Enter a positive amount, e.g. 10 or 2.5');
      const result = await api<{ balance: number }>('POST', `/admin/v1/users/${userId}/topup`, {
        amount: micro,
        ...(note.trim() ? { note: note.trim() } : {}),
      });
      setAmount('');
      setNote('');
      setDone(`Added ${money(micro)}; the balance is now ${money(result.balance)}.`);
      onDone();
    });
  };
  return (
    <form onSubmit={submit} className="inline-form" aria-label="Top up">
      <Field label="Top-up amount" hint="In currency units (1 = 1,000,000 micro-units)">
        {(props) => (
          <input
            {...props}
            inputMode="decimal"
            required
            value={amount}
            onChange={(e) => setAmount(e.target.value)}
          />
        )}
      </Field>
      <Field label="Note">
        {(props) => (
          <input {...props} maxLength={500} value={note} onChange={(e) => setNote(e.target.value)} />
        )}
      </Field>
      <SubmitButton busy={action.busy}>Top up</SubmitButton>
      <p role="status" className="ok-text">
        {done}
      </p>
      {action.error && <ErrorNotice error={action.error} />}
    </form>
  );
}

interface CreatedKey {
  key: string;
  webhook_secret: string;
  name: string | null;
  hint: string;
}

/** A key's limits as the form holds them: text, empty for none. */
interface LimitsDraft {
  name: string;
  models: string;
  spendLimit: string;
  rpm: string;
  maxConcurrentTasks: string;
  /** A date (YYYY-MM-DD); the key works until the end of that day, local time. */
  expires: string;
}

/** The limits as the API takes them: null where there is none. */
interface Limits {
  name: string | null;
  models: string[] | null;
  spend_limit: number | null;
  rpm: number | null;
  max_concurrent_tasks: number | null;
  expires_at: number | null;
}

/** A whole number of at least 1, or null for an empty field; throws `message` for anything else. */
function countOf(text: string, message: string): number | null {
  const trimmed = text.trim();
  if (!trimmed) return null;
  if (!/^[1-9]\d{0,6}$/.test(trimmed)) throw new Error(message);
  return Number(trimmed);
}

const pad = (n: number) => String(n).padStart(2, '0');
const localDate = (unixSeconds: number) => {
  const date = new Date(unixSeconds * 1000);
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
};

function draftOf(key: ApiKey | null): LimitsDraft {
  return {
    name: key?.name ?? '',
    models: key?.models?.join(', ') ?? '',
    spendLimit: key?.spend_limit == null ? '' : units(key.spend_limit),
    rpm: key?.rpm == null ? '' : String(key.rpm),
    maxConcurrentTasks: key?.max_concurrent_tasks == null ? '' : String(key.max_concurrent_tasks),
    expires: key?.expires_at == null ? '' : localDate(key.expires_at),
  };
}

/** Throws a message saying what to fix. */
function limitsOf(draft: LimitsDraft): Limits {
  const limitText = draft.spendLimit.trim();
  const spendLimit = limitText ? toMicro(limitText) : null;
  if (limitText && (spendLimit === null || spendLimit < 0))
    throw new Error('The spending limit must be an amount with at most 6 decimals, e.g. 25');
  const models = draft.models
    .split(/[\s,]+/)
    .map((m) => m.trim())
    .filter(Boolean);
  return {
    name: draft.name.trim() || null,
    models: models.length > 0 ? models : null,
    spend_limit: spendLimit,
    rpm: countOf(draft.rpm, 'Tasks per minute must be a whole number of at least 1'),
    max_concurrent_tasks: countOf(
      draft.maxConcurrentTasks,
      'Tasks at once must be a whole number of at least 1',
    ),
    expires_at: draft.expires ? Math.floor(new Date(`${draft.expires}T23:59:59`).getTime() / 1000) : null,
  };
}

function KeyLimitsFields({
  draft,
  onChange,
  spent,
}: {
  draft: LimitsDraft;
  onChange: (draft: LimitsDraft) => void;
  /** What the key has spent so far, when editing one. */
  spent?: number;
}) {
  const set = (change: Partial<LimitsDraft>) => onChange({ ...draft, ...change });
  return (
    <>
      <Field label="Key name">
        {(props) => (
          <input
            {...props}
            maxLength={200}
            value={draft.name}
            onChange={(e) => set({ name: e.target.value })}
          />
        )}
      </Field>
      <Field label="Allowed models" hint="Empty: every model. Otherwise separate with commas.">
        {(props) => (
          <input {...props} value={draft.models} onChange={(e) => set({ models: e.target.value })} />
        )}
      </Field>
      <Field
        label="Spending limit"
        hint={`In currency units; empty: no limit beyond the balance.${
          spent === undefined ? '' : ` Spent so far: ${money(spent)}.`
        }`}
      >
        {(props) => (
          <input
            {...props}
            inputMode="decimal"
            value={draft.spendLimit}
            onChange={(e) => set({ spendLimit: e.target.value })}
          />
        )}
      </Field>
      <Field label="Tasks per minute" hint="Submits in any 60 seconds; empty: no limit.">
        {(props) => (
          <input
            {...props}
            inputMode="numeric"
            value={draft.rpm}
            onChange={(e) => set({ rpm: e.target.value })}
          />
        )}
      </Field>
      <Field label="Tasks at once" hint="Tasks processing at the same time; empty: no limit.">
        {(props) => (
          <input
            {...props}
            inputMode="numeric"
            value={draft.maxConcurrentTasks}
            onChange={(e) => set({ maxConcurrentTasks: e.target.value })}
          />
        )}
      </Field>
      <Field label="Expires on" hint="Empty: never.">
        {(props) => (
          <input
            {...props}
            type="date"
            value={draft.expires}
            onChange={(e) => set({ expires: e.target.value })}
          />
        )}
      </Field>
    </>
  );
}

function NewKeyDialog({
  user,
  onClose,
  onCreated,
}: {
  user: User;
  onClose: () => void;
  onCreated: () => void;
}) {
  const { api } = useSignedIn();
  const { rememberKey } = useSession();
  const [draft, setDraft] = useState(() => draftOf(null));
  const [created, setCreated] = useState<CreatedKey | null>(null);
  const action = useAction();

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void action.run(async () => {
      // A new key takes only the limits it is given.
      const limits = Object.entries(limitsOf(draft)).filter(([, value]) => value !== null);
      const key = await api<CreatedKey>(
        'POST',
        `/admin/v1/users/${user.id}/keys`,
        Object.fromEntries(limits),
      );
      rememberKey({ label: `${user.name} · ${key.name ?? key.hint}`, key: key.key });
      setCreated(key);
      onCreated();
    });
  };

  if (created)
    return (
      <Dialog title="Key created" onClose={onClose}>
        <div className="notice warn" role="alert">
          Copy the key now: it is shown only once and cannot be recovered.
        </div>
        <Field label="API key">
          {(props) => (
            <div className="copy-row">
              <input
                {...props}
                readOnly
                className="mono"
                value={created.key}
                onFocus={(e) => e.target.select()}
              />
              <CopyButton text={created.key} label="Copy key" />
            </div>
          )}
        </Field>
        <Field label="Webhook signing secret" hint="Verifies the webhooks Reelay sends for this key's tasks.">
          {(props) => (
            <input
              {...props}
              readOnly
              className="mono"
              value={created.webhook_secret}
              onFocus={(e) => e.target.select()}
            />
          )}
        </Field>
        <p className="hint">The playground in this tab can use this key until you sign out.</p>
        <div className="form-actions">
          <button type="button" className="primary" onClick={onClose}>
            Done
          </button>
        </div>
      </Dialog>
    );

  return (
    <Dialog title={`New key for ${user.name}`} onClose={onClose}>
      <form onSubmit={submit} className="form-grid">
        <KeyLimitsFields draft={draft} onChange={setDraft} />
        <DialogActions action={action} onCancel={onClose}>
          Create key
        </DialogActions>
      </form>
    </Dialog>
  );
}

function EditLimitsDialog({
  user,
  apiKey,
  onClose,
  onSaved,
}: {
  user: User;
  apiKey: ApiKey;
  onClose: () => void;
  onSaved: () => void;
}) {
  const { api } = useSignedIn();
  const [draft, setDraft] = useState(() => draftOf(apiKey));
  const action = useAction();

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void action.run(async () => {
      // Only what was changed is sent: an untouched expiry date keeps its exact time.
      const before = limitsOf(draftOf(apiKey));
      const changed = Object.entries(limitsOf(draft)).filter(
        ([field, value]) => JSON.stringify(value) !== JSON.stringify(before[field as keyof Limits]),
      );
      if (changed.length > 0)
        await api('PATCH', `/admin/v1/users/${user.id}/keys/${apiKey.id}`, Object.fromEntries(changed));
      onSaved();
    });
  };

  return (
    <Dialog title={`Limits of ${apiKey.name ?? apiKey.hint}`} onClose={onClose}>
      <form onSubmit={submit} onChange={action.clearError} className="form-grid">
        <KeyLimitsFields draft={draft} onChange={setDraft} spent={apiKey.spent} />
        <DialogActions action={action} onCancel={onClose}>
          Save limits
        </DialogActions>
      </form>
    </Dialog>
  );
}
