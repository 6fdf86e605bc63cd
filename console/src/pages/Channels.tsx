/** Channels: vendor accounts with their health; enable, disable, test, create and edit. */
import { useState } from 'react';
import type { Channel, ChannelCheck, List, Vendor } from '../api';
import { age, percent } from '../format';
import { useResource } from '../hooks';
import { useSignedIn } from '../session';
import { Badge, Empty, ErrorNotice, Loaded, PageHeader, Table, useAction } from '../ui';
import { ChannelForm } from './ChannelForm';

export function ChannelsPage() {
  const { api } = useSignedIn();
  const channels = useResource(() => api<List<Channel>>('GET', '/admin/v1/channels'), 'channels', 5000);
  const vendors = useResource(() => api<List<Vendor>>('GET', '/admin/v1/vendors'), 'vendors');
  const [editing, setEditing] = useState<Channel | 'new' | null>(null);

  return (
    <>
      <PageHeader title="Channels">
        <button type="button" className="primary" onClick={() => setEditing('new')} disabled={!vendors.data}>
          New channel
        </button>
      </PageHeader>
      <p className="lede">
        Each channel is one vendor account. Requests go to the highest priority first, by weight within a
        priority; health is this instance&apos;s view of recent calls.
      </p>
      <Loaded resource={channels} label="Loading channels…">
        {({ data }) =>
          data.length === 0 ? (
            <Empty>No channels yet. Add one to start serving models.</Empty>
          ) : (
            <Table
              caption="Channels"
              columns={[
                'Name',
                'Vendor',
                'Models',
                'Priority / weight',
                'Health',
                'State',
                { label: 'Actions', hidden: true },
              ]}
            >
              {data.map((channel) => (
                <ChannelRow
                  key={channel.id}
                  channel={channel}
                  onEdit={() => setEditing(channel)}
                  onChanged={channels.reload}
                />
              ))}
            </Table>
          )
        }
      </Loaded>
      {vendors.error && <ErrorNotice error={vendors.error} onRetry={vendors.reload} />}
      {editing && vendors.data && (
        <ChannelForm
          vendors={vendors.data.data}
          channel={editing === 'new' ? null : editing}
          onClose={() => setEditing(null)}
          onSaved={() => {
            setEditing(null);
            channels.reload();
          }}
        />
      )}
    </>
  );
}

function ChannelRow({
  channel,
  onEdit,
  onChanged,
}: {
  channel: Channel;
  onEdit: () => void;
  onChanged: () => void;
}) {
  const { api } = useSignedIn();
  const toggle = useAction();
  const test = useAction();
  const [check, setCheck] = useState<ChannelCheck | null>(null);
  const { health } = channel;
  const shown = channel.models.slice(0, 3);

  return (
    <tr>
      <th scope="row">
        {channel.name}
        <div className="sub mono">{channel.id}</div>
      </th>
      <td>{channel.vendor}</td>
      <td>
        <ul className="chips" aria-label={`${channel.models.length} models`}>
          {shown.map((m) => (
            <li key={m}>{m}</li>
          ))}
          {channel.models.length > shown.length && (
            <li title={channel.models.join(', ')}>+{channel.models.length - shown.length} more</li>
          )}
        </ul>
      </td>
      <td>
        {channel.priority} / {channel.weight}
      </td>
      <td>
        <Badge state={health.state} />
        <div className="sub">
          {health.recent_calls === 0
            ? 'no calls yet'
            : `${percent(health.recent_error_rate)} errors in last ${health.recent_calls} calls`}
        </div>
        {health.last_error && (
          <div className="sub error-text">
            Last error{health.last_error_at ? ` ${age(health.last_error_at)}` : ''}: {health.last_error}
          </div>
        )}
      </td>
      <td>
        <Badge state={channel.enabled ? 'enabled' : 'disabled'} />
        {channel.disabled_reason && <div className="sub error-text">{channel.disabled_reason}</div>}
      </td>
      <td className="row-actions">
        <button
          type="button"
          aria-label={`Test ${channel.name}`}
          disabled={test.busy}
          onClick={() =>
            void test.run(async () => {
              setCheck(null);
              setCheck(await api<ChannelCheck>('POST', `/admin/v1/channels/${channel.id}/test`));
            })
          }
        >
          {test.busy ? 'Testing…' : 'Test'}
        </button>
        <button type="button" aria-label={`Edit ${channel.name}`} onClick={onEdit}>
          Edit
        </button>
        <button
          type="button"
          aria-label={`${channel.enabled ? 'Disable' : 'Enable'} ${channel.name}`}
          disabled={toggle.busy}
          onClick={() =>
            void toggle.run(async () => {
              await api('PATCH', `/admin/v1/channels/${channel.id}`, { enabled: !channel.enabled });
              onChanged();
            })
          }
        >
          {channel.enabled ? 'Disable' : 'Enable'}
        </button>
        <div role="status" className="check-result">
          {check && (
            <span className={check.ok ? 'ok-text' : 'error-text'}>
              {check.ok ? 'Works' : 'Failed'}: {check.message} ({check.latency_ms} ms)
            </span>
          )}
        </div>
        {test.error && <ErrorNotice error={test.error} />}
        {toggle.error && <ErrorNotice error={toggle.error} />}
      </td>
    </tr>
  );
}
