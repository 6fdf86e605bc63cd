/** The admin audit trail: every change made through the admin API, newest first, with who, what and when. */
import { useState } from 'react';
import { query, type AuditEntry, type List } from '../api';
import { dateTime } from '../format';
import { useResource } from '../hooks';
import { useSignedIn } from '../session';
import { Empty, Loaded, PageHeader, Table } from '../ui';

const pageSize = 50;

/** "console:1a2b3c4d" → who did it, in words; the fingerprint tells admin tokens apart (rotation). */
function actorText(actor: string): string {
  const [via, fingerprint] = actor.split(':');
  const who = via === 'console' ? 'Console session' : 'Admin token';
  return fingerprint ? `${who} (token ${fingerprint})` : who;
}

/** A recorded state, as the API gives it (secrets already masked by the gateway). */
function StateCell({ label, state }: { label: string; state: unknown }) {
  if (state === null) return <span className="sub">—</span>;
  return (
    <details>
      <summary>{label}</summary>
      <pre className="code" tabIndex={0}>
        {JSON.stringify(state, null, 2)}
      </pre>
    </details>
  );
}

export function AuditLogPage() {
  const { api } = useSignedIn();
  const [pages, setPages] = useState(1);
  // Pages follow each other by cursor (the id of the last entry shown), as GET /admin/v1/audit-log pages.
  const entries = useResource(async () => {
    const shown: AuditEntry[] = [];
    for (let page = 0; page < pages; page++) {
      const before = shown.at(-1)?.id;
      const next = await api<List<AuditEntry>>(
        'GET',
        `/admin/v1/audit-log${query({ limit: pageSize, before })}`,
      );
      shown.push(...next.data);
      if (!next.has_more) return { shown, more: false };
    }
    return { shown, more: true };
  }, `audit-${pages}`);

  return (
    <>
      <PageHeader title="Audit log" />
      <p className="lede">
        Every change made through the admin API or this console, newest first. Secrets are never recorded:
        they show as ***.
      </p>
      <Loaded resource={entries} label="Loading the audit log…">
        {({ shown, more }) =>
          shown.length === 0 ? (
            <Empty>No change has been made yet.</Empty>
          ) : (
            <>
              <Table
                className="audit"
                caption="Admin changes, newest first"
                columns={['When', 'Who', 'What', 'Before', 'After']}
              >
                {shown.map((entry) => (
                  <tr key={entry.id}>
                    <td>
                      <time dateTime={new Date(entry.at * 1000).toISOString()}>{dateTime(entry.at)}</time>
                    </td>
                    <td>{actorText(entry.actor)}</td>
                    <th scope="row" className="mono">
                      {entry.action}
                    </th>
                    <td>
                      <StateCell label="Before" state={entry.before} />
                    </td>
                    <td>
                      <StateCell label="After" state={entry.after} />
                    </td>
                  </tr>
                ))}
              </Table>
              {more && (
                <button type="button" className="more" onClick={() => setPages(pages + 1)}>
                  Show more
                </button>
              )}
            </>
          )
        }
      </Loaded>
    </>
  );
}
