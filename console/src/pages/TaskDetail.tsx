/** One task: its video playing in the page, what was asked, what happened, and why it failed if it did. */
import type { ReactNode } from 'react';
import type { Channel, List, SeedTask, TaskDetail, TaskError, TaskJob, User } from '../api';
import { dateTime, duration, money } from '../format';
import { useResource } from '../hooks';
import { useSignedIn } from '../session';
import { Badge, Loaded, PageHeader } from '../ui';

export function TaskDetailPage({ id }: { id: string }) {
  const { role } = useSignedIn();
  return (
    <>
      <p className="crumbs">
        <a href="#/tasks">← All tasks</a>
      </p>
      {role === 'admin' ? <OperatorTask id={id} /> : <OwnTask id={id} />}
    </>
  );
}

/** Refreshes every 2 s while the task runs. */
const whileRunning = (task: { status: string } | undefined) =>
  task && task.status !== 'processing' ? undefined : 2000;

function OperatorTask({ id }: { id: string }) {
  const { api } = useSignedIn();
  const channels = useResource(() => api<List<Channel>>('GET', '/admin/v1/channels'), 'channels');
  const users = useResource(() => api<List<User>>('GET', '/admin/v1/users'), 'users');
  const task = useResource(
    () => api<TaskDetail>('GET', `/admin/v1/tasks/${encodeURIComponent(id)}`),
    id,
    whileRunning,
  );
  const channelName = (channelId: string | null) =>
    channelId ? (channels.data?.data.find((c) => c.id === channelId)?.name ?? channelId) : 'no channel';

  return (
    <Loaded resource={task} label="Loading the task…">
      {(t) => {
        const lead = t.jobs.find((j) => j.state === 'succeeded') ?? t.jobs[0];
        return (
          <TaskLayout
            id={t.id}
            status={t.status}
            progress={t.progress}
            videoUrl={lead?.video_url ?? null}
            error={t.error}
            facts={[
              ['Model', t.model],
              [
                'User',
                <a href={`#/keys/${t.user_id}`}>
                  {users.data?.data.find((u) => u.id === t.user_id)?.name ?? t.user_id}
                </a>,
              ],
              ['Key', <span className="mono">{t.key_id}</span>],
              ['Channel', t.channel_ids.map(channelName).join(', ') || '—'],
              ['Cost', `${money(t.cost.amount)} (${t.cost.state})`],
              ['Created', dateTime(t.created_at)],
              ['Completed', dateTime(t.completed_at)],
              ['Took', duration(t.duration_ms)],
              ['Length', t.video_seconds === null ? '—' : `${t.video_seconds} s`],
              ...(t.end_user ? [['End user', t.end_user] as [string, ReactNode]] : []),
            ]}
            warnings={t.warnings}
            history={
              <ol className="timeline">
                <li>
                  <time>{dateTime(t.created_at)}</time> Accepted: {t.n} generation{t.n > 1 ? 's' : ''}, cost
                  reserved
                </li>
                {t.jobs.map((job) => (
                  <JobHistory
                    key={job.position}
                    job={job}
                    channel={channelName(job.channel_id)}
                    many={t.n > 1}
                  />
                ))}
              </ol>
            }
            request={t.request}
          />
        );
      }}
    </Loaded>
  );
}

function JobHistory({ job, channel, many }: { job: TaskJob; channel: string; many: boolean }) {
  const which = many ? `Generation ${job.position + 1}` : 'Generation';
  return (
    <>
      <li>
        {which} {job.state === 'submitting' ? 'being sent to' : 'sent to'} <strong>{channel}</strong>
        {job.upstream_model ? ` as ${job.upstream_model}` : ''}
      </li>
      {job.poll_attempts > 0 && (
        <li>
          Status asked {job.poll_attempts} time{job.poll_attempts > 1 ? 's' : ''}; last news{' '}
          <time>{dateTime(job.updated_at)}</time>
          {job.state === 'processing' ? ` (${job.queued ? 'queued' : `${job.progress}%`})` : ''}
        </li>
      )}
      {job.last_error && <li className="error-text">Last transient error: {job.last_error}</li>}
      {job.completed_at && (
        <li>
          <time>{dateTime(job.completed_at)}</time> {which} <Badge state={job.state} />
          {job.error ? `: ${job.error.message}` : ''}
        </li>
      )}
    </>
  );
}

function OwnTask({ id }: { id: string }) {
  const { api } = useSignedIn();
  const task = useResource(
    () => api<SeedTask>('GET', `/v1/video/generations/${encodeURIComponent(id)}`),
    id,
    whileRunning,
  );
  return (
    <Loaded resource={task} label="Loading the task…">
      {(t) => (
        <TaskLayout
          id={t.task_id}
          status={t.status}
          progress={t.progress}
          videoUrl={t.url}
          error={t.error}
          facts={[
            ['Model', t.model],
            ['Cost', `${money(t.cost.amount)} (${t.cost.state})`],
            [
              'Size',
              t.metadata.width && t.metadata.height ? `${t.metadata.width}×${t.metadata.height}` : '—',
            ],
            ['Length', t.metadata.duration ? `${t.metadata.duration} s` : '—'],
            ['Created', dateTime(t.created_at)],
            ['Completed', dateTime(t.completed_at)],
          ]}
          warnings={t.warnings ?? []}
          history={
            <ol className="timeline">
              <li>
                <time>{dateTime(t.created_at)}</time> Accepted
              </li>
              {t.completed_at && (
                <li>
                  <time>{dateTime(t.completed_at)}</time> <Badge state={t.status} />
                </li>
              )}
            </ol>
          }
        />
      )}
    </Loaded>
  );
}

function TaskLayout(props: {
  id: string;
  status: string;
  progress: number;
  videoUrl: string | null;
  error: TaskError | null;
  facts: [string, ReactNode][];
  warnings: string[];
  history: ReactNode;
  request?: Record<string, unknown>;
}) {
  return (
    <>
      <PageHeader title={`Task ${props.id}`}>
        <Badge state={props.status} />
      </PageHeader>
      <div className="detail">
        <section aria-labelledby="video-title" className="panel">
          <h2 id="video-title">Video</h2>
          <Video status={props.status} progress={props.progress} url={props.videoUrl} error={props.error} />
        </section>
        <section aria-labelledby="facts-title" className="panel">
          <h2 id="facts-title">Summary</h2>
          <dl className="facts">
            {props.facts.map(([term, value]) => (
              <div key={term}>
                <dt>{term}</dt>
                <dd>{value}</dd>
              </div>
            ))}
          </dl>
          {props.warnings.length > 0 && (
            <div className="notice warn">
              <strong>Warnings</strong>
              <ul>
                {props.warnings.map((w) => (
                  <li key={w}>{w}</li>
                ))}
              </ul>
            </div>
          )}
        </section>
        <section aria-labelledby="history-title" className="panel">
          <h2 id="history-title">Status history</h2>
          {props.history}
        </section>
        {props.request && (
          <section aria-labelledby="request-title" className="panel">
            <h2 id="request-title">Request</h2>
            <pre className="code" tabIndex={0} aria-label="The request as the client sent it">
              {JSON.stringify(props.request, null, 2)}
            </pre>
          </section>
        )}
      </div>
    </>
  );
}

export function Video({
  status,
  progress,
  url,
  error,
}: {
  status: string;
  progress: number;
  url: string | null;
  error: TaskError | null;
}) {
  if (status === 'failed')
    return (
      <div className="notice error" role="alert">
        <strong>The generation failed.</strong> {error?.message ?? ''}
        {error?.code ? <span className="mono"> ({error.code})</span> : null}
      </div>
    );
  if (status !== 'succeeded' || !url)
    return (
      <div className="video-wait">
        {/* Vendors that report no percentage (Kling) get an indeterminate bar rather than a stuck 0%. */}
        <progress max={100} value={progress > 0 ? progress : undefined} aria-label="Generation progress">
          {progress}%
        </progress>
        <p role="status">{progress > 0 ? `Generating… ${progress}%` : 'Generating…'}</p>
      </div>
    );
  return (
    <video className="player" src={url} controls autoPlay muted loop playsInline preload="auto">
      <a href={url}>Download the video</a>
    </video>
  );
}
