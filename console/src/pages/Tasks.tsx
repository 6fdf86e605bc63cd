/** The live task table: operators see every user's tasks with filters; key holders see their own. */
import { useState, type ReactNode } from 'react';
import type { Channel, List, SeedTask, TaskStatus, TaskSummary, User } from '../api';
import { query } from '../api';
import { age, duration, money, shortId } from '../format';
import { useResource } from '../hooks';
import { useSignedIn } from '../session';
import { Badge, Empty, Field, Loaded, PageHeader, Table } from '../ui';

/** One row, whichever surface it came from. */
interface Row {
  id: string;
  status: TaskStatus;
  model: string;
  channel?: string;
  user?: string;
  cost: string;
  /** Submit to end. */
  took: string;
  /** The video's length. */
  length: string;
  createdAt: number;
  progress: number;
}

const videoLength = (seconds: number | null) => (seconds === null ? '—' : `${seconds} s`);

const costText = (cost: { state: string; amount: number }) =>
  `${money(cost.amount)}${cost.state === 'charged' ? '' : ` ${cost.state}`}`;

export function TasksPage() {
  const { role } = useSignedIn();
  return (
    <>
      <PageHeader title="Tasks" />
      {role === 'admin' ? <OperatorTasks /> : <OwnTasks />}
    </>
  );
}

function OperatorTasks() {
  const { api } = useSignedIn();
  const [filters, setFilters] = useState({ status: '', model: '', user_id: '', channel_id: '' });
  const [pages, setPages] = useState(1);
  const channels = useResource(() => api<List<Channel>>('GET', '/admin/v1/channels'), 'channels');
  const users = useResource(() => api<List<User>>('GET', '/admin/v1/users'), 'users');
  const filterQuery = query({ ...filters, limit: 50 * pages });
  const tasks = useResource(
    () => api<List<TaskSummary>>('GET', `/admin/v1/tasks${filterQuery}`),
    filterQuery,
    3000,
  );
  const channelName = new Map(channels.data?.data.map((c) => [c.id, c.name]));
  const userName = new Map(users.data?.data.map((u) => [u.id, u.name]));
  const models = [...new Set(channels.data?.data.flatMap((c) => c.models))].sort();
  const set = (name: keyof typeof filters) => (value: string) => {
    setFilters({ ...filters, [name]: value });
    setPages(1);
  };

  return (
    <>
      <form className="filters" aria-label="Filter tasks" onSubmit={(e) => e.preventDefault()}>
        <FilterSelect label="Status" value={filters.status} onChange={set('status')}>
          <option value="processing">Processing</option>
          <option value="succeeded">Succeeded</option>
          <option value="failed">Failed</option>
        </FilterSelect>
        <FilterSelect label="Model" value={filters.model} onChange={set('model')}>
          {models.map((m) => (
            <option key={m}>{m}</option>
          ))}
        </FilterSelect>
        <FilterSelect label="User" value={filters.user_id} onChange={set('user_id')}>
          {users.data?.data.map((u) => (
            <option key={u.id} value={u.id}>
              {u.name}
            </option>
          ))}
        </FilterSelect>
        <FilterSelect label="Channel" value={filters.channel_id} onChange={set('channel_id')}>
          {channels.data?.data.map((c) => (
            <option key={c.id} value={c.id}>
              {c.name}
            </option>
          ))}
        </FilterSelect>
      </form>
      <Loaded resource={tasks} label="Loading tasks…">
        {({ data, has_more }) => (
          <TaskTable
            showOwner
            more={has_more ? () => setPages(pages + 1) : undefined}
            rows={data.map((t) => ({
              id: t.id,
              status: t.status,
              model: t.model,
              channel: t.channel_ids.map((id) => channelName.get(id) ?? id).join(', ') || '—',
              user: userName.get(t.user_id) ?? t.user_id,
              cost: costText(t.cost),
              took: duration(t.duration_ms),
              length: videoLength(t.video_seconds),
              createdAt: t.created_at,
              progress: t.progress,
            }))}
          />
        )}
      </Loaded>
    </>
  );
}

function OwnTasks() {
  const { api } = useSignedIn();
  const [pages, setPages] = useState(1);
  const path = `/v1/video/generations${query({ limit: Math.min(100, 25 * pages) })}`;
  const tasks = useResource(() => api<List<SeedTask>>('GET', path), path, 3000);
  return (
    <Loaded resource={tasks} label="Loading your tasks…">
      {({ data, has_more }) => (
        <TaskTable
          more={has_more && pages < 4 ? () => setPages(pages + 1) : undefined}
          rows={data.map((t) => ({
            id: t.task_id,
            status: t.status,
            model: t.model,
            cost: costText(t.cost),
            took: t.completed_at ? duration((t.completed_at - t.created_at) * 1000) : '—',
            length: videoLength(t.metadata.duration),
            createdAt: t.created_at,
            progress: t.progress,
          }))}
        />
      )}
    </Loaded>
  );
}

function FilterSelect({
  label,
  value,
  onChange,
  children,
}: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  children: ReactNode;
}) {
  return (
    <Field label={label}>
      {(props) => (
        <select {...props} value={value} onChange={(e) => onChange(e.target.value)}>
          <option value="">Any</option>
          {children}
        </select>
      )}
    </Field>
  );
}

function TaskTable({ rows, showOwner, more }: { rows: Row[]; showOwner?: boolean; more?: () => void }) {
  if (rows.length === 0)
    return (
      <Empty>
        No tasks match. Run one from the <a href="#/playground">playground</a>.
      </Empty>
    );
  return (
    <>
      <Table
        className="tasks"
        caption="Tasks, newest first; refreshed every few seconds"
        columns={[
          'Task',
          'Status',
          'Model',
          ...(showOwner ? ['Channel', 'User'] : []),
          'Cost',
          'Took',
          'Length',
          'Age',
        ]}
      >
        {rows.map((row) => (
          <tr key={row.id}>
            <th scope="row">
              <a href={`#/tasks/${row.id}`} className="mono" title={row.id}>
                {shortId(row.id)}
              </a>
            </th>
            <td>
              <Badge state={row.status} />
              {row.status === 'processing' && <span className="sub"> {row.progress}%</span>}
            </td>
            <td>{row.model}</td>
            {showOwner && <td>{row.channel}</td>}
            {showOwner && <td>{row.user}</td>}
            <td className="num">{row.cost}</td>
            <td className="num">{row.took}</td>
            <td className="num">{row.length}</td>
            <td>
              <time dateTime={new Date(row.createdAt * 1000).toISOString()}>{age(row.createdAt)}</time>
            </td>
          </tr>
        ))}
      </Table>
      {more && (
        <button type="button" onClick={more} className="more">
          Show more
        </button>
      )}
    </>
  );
}
