/** Spend and task counts over time by model, channel or key, as charts with the totals beside them; the ledger. */
import { useState } from 'react';
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import {
  query,
  type Channel,
  type LedgerEntry,
  type List,
  type UsageGrouping,
  type UsageSeries,
  type User,
} from '../api';
import { dateTime, money, shortId } from '../format';
import { useResource } from '../hooks';
import { useSignedIn } from '../session';
import { Empty, Field, Loaded, PageHeader, Table } from '../ui';

const periods = { '24h': 86_400, '7d': 7 * 86_400, '30d': 30 * 86_400 } as const;
type Period = keyof typeof periods;
const periodLabels: Record<Period, string> = {
  '24h': 'Last 24 hours',
  '7d': 'Last 7 days',
  '30d': 'Last 30 days',
};
const groupLabels: Record<UsageGrouping, string> = { model: 'Model', channel: 'Channel', key: 'API key' };
const palette = ['#2563eb', '#16a34a', '#d97706', '#db2777', '#7c3aed', '#0891b2', '#65a30d', '#dc2626'];

export function UsagePage() {
  const { role, api } = useSignedIn();
  const [period, setPeriod] = useState<Period>('24h');
  const [groupBy, setGroupBy] = useState<UsageGrouping>('model');
  const [userId, setUserId] = useState('');
  const users = useResource(
    async () => (role === 'admin' ? (await api<List<User>>('GET', '/admin/v1/users')).data : []),
    `users-${role}`,
  );
  const channels = useResource(
    async () => (role === 'admin' ? (await api<List<Channel>>('GET', '/admin/v1/channels')).data : []),
    `channels-${role}`,
  );
  // Whole buckets: the period ends at the end of the current hour.
  const to = Math.ceil(Date.now() / 3_600_000) * 3600;
  const params = query({ from: to - periods[period], to, group_by: groupBy, user_id: userId || undefined });
  const path = role === 'admin' ? `/admin/v1/usage/series${params}` : `/v1/account/usage${params}`;
  const series = useResource(() => api<UsageSeries>('GET', path), path, 15_000);
  const channelName = new Map(channels.data?.map((c) => [c.id, c.name]));
  const label = (group: string | null) =>
    group === null
      ? 'none'
      : groupBy === 'channel'
        ? (channelName.get(group) ?? group)
        : groupBy === 'key'
          ? shortId(group)
          : group;

  return (
    <>
      <PageHeader title="Usage" />
      <form className="filters" aria-label="Usage options" onSubmit={(e) => e.preventDefault()}>
        <Field label="Period">
          {(props) => (
            <select {...props} value={period} onChange={(e) => setPeriod(e.target.value as Period)}>
              {Object.entries(periodLabels).map(([value, text]) => (
                <option key={value} value={value}>
                  {text}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Group by">
          {(props) => (
            <select {...props} value={groupBy} onChange={(e) => setGroupBy(e.target.value as UsageGrouping)}>
              <option value="model">Model</option>
              {role === 'admin' && <option value="channel">Channel</option>}
              <option value="key">API key</option>
            </select>
          )}
        </Field>
        {role === 'admin' && (
          <Field label="User">
            {(props) => (
              <select {...props} value={userId} onChange={(e) => setUserId(e.target.value)}>
                <option value="">Everyone</option>
                {users.data?.map((u) => (
                  <option key={u.id} value={u.id}>
                    {u.name}
                  </option>
                ))}
              </select>
            )}
          </Field>
        )}
      </form>
      <Loaded resource={series} label="Loading usage…">
        {(s) => <Charts series={s} label={label} />}
      </Loaded>
      <Ledger users={users.data ?? []} userId={userId} />
    </>
  );
}

/** The series as chart rows: one per bucket (empty buckets included, so time reads evenly), a column per group. */
function chartRows(
  series: UsageSeries,
  measure: 'cost' | 'tasks',
  groups: string[],
  label: (g: string | null) => string,
) {
  const step = series.bucket === 'hour' ? 3600 : 86_400;
  const first = Math.floor(series.from / step) * step;
  const rows = new Map<number, Record<string, number | string>>();
  for (let start = first; start < series.to; start += step) {
    const time = new Date(start * 1000);
    rows.set(start, {
      when:
        series.bucket === 'hour'
          ? time.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })
          : time.toLocaleDateString(undefined, { month: 'short', day: 'numeric' }),
      ...Object.fromEntries(groups.map((g) => [g, 0])),
    });
  }
  for (const point of series.data) {
    const row = rows.get(point.start);
    if (row) row[label(point.group)] = measure === 'cost' ? point.cost / 1_000_000 : point.tasks;
  }
  return [...rows.values()];
}

function Charts({ series, label }: { series: UsageSeries; label: (g: string | null) => string }) {
  const totals = new Map<string, { tasks: number; cost: number }>();
  for (const point of series.data) {
    const name = label(point.group);
    const total = totals.get(name) ?? { tasks: 0, cost: 0 };
    totals.set(name, { tasks: total.tasks + point.tasks, cost: total.cost + point.cost });
  }
  const groups = [...totals.keys()];
  if (groups.length === 0) return <Empty>No tasks in this period.</Empty>;
  const sum = [...totals.values()].reduce((a, b) => ({ tasks: a.tasks + b.tasks, cost: a.cost + b.cost }));

  return (
    <>
      <div className="stats">
        <div className="stat">
          <span className="stat-label">Spend</span>
          <span className="stat-value">{money(sum.cost)}</span>
        </div>
        <div className="stat">
          <span className="stat-label">Tasks</span>
          <span className="stat-value">{sum.tasks}</span>
        </div>
      </div>
      <div className="charts">
        <Chart
          title="Spend"
          unit="currency units"
          rows={chartRows(series, 'cost', groups, label)}
          groups={groups}
        />
        <Chart title="Tasks" unit="tasks" rows={chartRows(series, 'tasks', groups, label)} groups={groups} />
      </div>
      <Table
        caption="Totals for the period"
        showCaption
        columns={[
          groupLabels[series.group_by],
          { label: 'Tasks', numeric: true },
          { label: 'Spend', numeric: true },
        ]}
      >
        {[...totals].map(([name, total]) => (
          <tr key={name}>
            <th scope="row">{name}</th>
            <td className="num">{total.tasks}</td>
            <td className="num">{money(total.cost)}</td>
          </tr>
        ))}
      </Table>
    </>
  );
}

function Chart({
  title,
  unit,
  rows,
  groups,
}: {
  title: string;
  unit: string;
  rows: Record<string, number | string>[];
  groups: string[];
}) {
  return (
    <figure className="panel chart">
      <figcaption>
        {title} over time, by {unit === 'tasks' ? 'count' : 'amount'}
      </figcaption>
      {/* The totals table below carries the same numbers for screen readers. */}
      <div role="img" aria-label={`${title} over time, stacked by group; totals are in the table below`}>
        <ResponsiveContainer width="100%" height={260}>
          <BarChart data={rows} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" vertical={false} />
            <XAxis dataKey="when" tick={{ fontSize: 12 }} minTickGap={16} />
            <YAxis tick={{ fontSize: 12 }} allowDecimals={unit !== 'tasks'} width={48} />
            <Tooltip />
            <Legend />
            {groups.map((group, i) => (
              <Bar
                key={group}
                dataKey={group}
                stackId="total"
                fill={palette[i % palette.length]}
                isAnimationActive={false}
              />
            ))}
          </BarChart>
        </ResponsiveContainer>
      </div>
    </figure>
  );
}

function Ledger({ users, userId }: { users: User[]; userId: string }) {
  const { role, api } = useSignedIn();
  const who = role === 'admin' ? userId || users[0]?.id : 'me';
  const path = role === 'admin' ? `/admin/v1/users/${who}/ledger` : '/v1/account/ledger';
  const ledger = useResource(
    async () => (who ? (await api<List<LedgerEntry>>('GET', path)).data.slice().reverse() : []),
    `ledger-${who ?? ''}`,
    15_000,
  );
  const name = users.find((u) => u.id === who)?.name;
  return (
    <section aria-labelledby="ledger-title" className="panel">
      <h2 id="ledger-title">Ledger{name ? ` of ${name}` : ''}</h2>
      <p className="hint">Every movement of money in the last 30 days, newest first.</p>
      <Loaded resource={ledger} label="Loading the ledger…">
        {(entries) =>
          entries.length === 0 ? (
            <Empty>No entries.</Empty>
          ) : (
            <Table
              caption="Ledger entries"
              columns={['When', 'Kind', { label: 'Amount', numeric: true }, 'Task', 'Note']}
            >
              {entries.slice(0, 200).map((e) => (
                <tr key={e.id}>
                  <td>{dateTime(e.created_at)}</td>
                  <td>{e.kind}</td>
                  <td className={`num ${e.amount < 0 ? 'debit' : 'credit'}`}>
                    {e.amount > 0 ? '+' : ''}
                    {money(e.amount)}
                  </td>
                  <td>
                    {e.task_id ? (
                      <a href={`#/tasks/${e.task_id}`} className="mono">
                        {shortId(e.task_id)}
                      </a>
                    ) : (
                      '—'
                    )}
                  </td>
                  <td>{e.note ?? ''}</td>
                </tr>
              ))}
            </Table>
          )
        }
      </Loaded>
    </section>
  );
}
