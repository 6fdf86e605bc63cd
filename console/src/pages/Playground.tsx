/** Submit a generation from a form and watch it until the video plays. */
import { useEffect, useState, type FormEvent } from 'react';
import { call, type Account, type Channel, type List, type SeedTask } from '../api';
import { money } from '../format';
import { useResource } from '../hooks';
import { useSession, useSignedIn } from '../session';
import { ErrorNotice, Field, PageHeader, SubmitButton, useAction } from '../ui';
import { Video } from './TaskDetail';

/** The "Run as" choice that shows a field to paste a key into (never a key: keys start with sk-). */
const pasteKey = 'paste';

const commonSizes = ['1280x720', '720x1280', '1920x1080', '1080x1920', '960x960', '1024x1024'];

export function PlaygroundPage() {
  const { role, token, api } = useSignedIn();
  const { freshKeys } = useSession();
  // The models on offer: every enabled channel's (operators) or what the key may use (key holders).
  const models = useResource(async () => {
    if (role === 'user') return (await api<Account>('GET', '/v1/account')).models;
    const { data } = await api<List<Channel>>('GET', '/admin/v1/channels');
    return [...new Set(data.filter((c) => c.enabled).flatMap((c) => c.models))].sort();
  }, `models-${role}`);

  // Operators submit with an API key (the admin token cannot): one created in this tab, or one pasted.
  const [pickedKey, setPickedKey] = useState(freshKeys[0]?.key ?? pasteKey);
  const [pastedKey, setPastedKey] = useState('');
  const apiKey = role === 'user' ? token : pickedKey === pasteKey ? pastedKey : pickedKey;
  const [model, setModel] = useState('');
  const [prompt, setPrompt] = useState('');
  const [imageUrl, setImageUrl] = useState('');
  const [imageFile, setImageFile] = useState<string | null>(null);
  const [durationText, setDurationText] = useState('5');
  const [size, setSize] = useState('1280x720');
  // The task shown, and the key it was submitted with (the picker may change meanwhile).
  const [run, setRun] = useState<{ taskId: string; key: string } | null>(null);
  const submit = useAction();

  useEffect(() => {
    if (!model && models.data?.[0]) setModel(models.data[0]);
  }, [model, models.data]);

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void submit.run(async () => {
      setRun(null);
      const image = imageFile ?? (imageUrl.trim() || undefined);
      const key = apiKey.trim();
      const task = await call<SeedTask>(key, 'POST', '/v1/video/generations', {
        model,
        prompt,
        ...(durationText.trim() ? { duration: Number(durationText) } : {}),
        ...(size.trim() ? { size: size.trim() } : {}),
        ...(image ? { image } : {}),
      });
      setRun({ taskId: task.task_id, key });
    });
  };

  return (
    <>
      <PageHeader title="Playground" />
      <div className="split">
        <form onSubmit={onSubmit} className="panel form-grid" aria-label="New generation">
          {role === 'admin' && (
            <Field
              label="Run as"
              hint={
                <>
                  Generations run as a key holder: a key created in this tab, or one pasted (
                  <a href="#/keys">create one</a>). Keys are stored hashed, so older ones cannot be picked.
                </>
              }
            >
              {(props) => (
                <select {...props} value={pickedKey} onChange={(e) => setPickedKey(e.target.value)}>
                  {freshKeys.map((fresh) => (
                    <option key={fresh.key} value={fresh.key}>
                      {fresh.label}
                    </option>
                  ))}
                  <option value={pasteKey}>Paste a key…</option>
                </select>
              )}
            </Field>
          )}
          {role === 'admin' && pickedKey === pasteKey && (
            <Field label="API key">
              {(props) => (
                <input
                  {...props}
                  type="password"
                  autoComplete="off"
                  required
                  value={pastedKey}
                  onChange={(e) => setPastedKey(e.target.value)}
                />
              )}
            </Field>
          )}
          <Field
            label="Model"
            hint={models.data?.length === 0 ? 'No enabled channel serves a model yet.' : undefined}
          >
            {(props) => (
              <>
                <input
                  {...props}
                  list="playground-models"
                  required
                  value={model}
                  onChange={(e) => setModel(e.target.value)}
                />
                <datalist id="playground-models">
                  {models.data?.map((m) => (
                    <option key={m} value={m} />
                  ))}
                </datalist>
              </>
            )}
          </Field>
          {models.error && <ErrorNotice error={models.error} onRetry={models.reload} />}
          <Field label="Prompt">
            {(props) => (
              <textarea
                {...props}
                required
                rows={4}
                maxLength={20000}
                value={prompt}
                onChange={(e) => setPrompt(e.target.value)}
              />
            )}
          </Field>
          <div className="row">
            <Field label="Duration (seconds)" hint="Each vendor takes its own set, e.g. Kling 5 or 10">
              {(props) => (
                <input
                  {...props}
                  type="number"
                  min={1}
                  max={600}
                  step="any"
                  value={durationText}
                  onChange={(e) => setDurationText(e.target.value)}
                />
              )}
            </Field>
            <Field label="Size" hint="Width x height">
              {(props) => (
                <>
                  <input
                    {...props}
                    list="playground-sizes"
                    pattern="\d{2,5}x\d{2,5}"
                    value={size}
                    onChange={(e) => setSize(e.target.value)}
                  />
                  <datalist id="playground-sizes">
                    {commonSizes.map((s) => (
                      <option key={s} value={s} />
                    ))}
                  </datalist>
                </>
              )}
            </Field>
          </div>
          <Field label="Image URL" hint="Optional: animate an image (or choose a file below).">
            {(props) => (
              <input
                {...props}
                type="url"
                value={imageUrl}
                disabled={imageFile !== null}
                onChange={(e) => setImageUrl(e.target.value)}
              />
            )}
          </Field>
          <Field label="Image file">
            {(props) => (
              <input
                {...props}
                type="file"
                accept="image/png,image/jpeg,image/webp"
                onChange={(e) => {
                  const file = e.target.files?.[0];
                  if (!file) return setImageFile(null);
                  const reader = new FileReader();
                  reader.onload = () => setImageFile(String(reader.result));
                  reader.readAsDataURL(file);
                }}
              />
            )}
          </Field>
          {imageFile && <img className="preview" src={imageFile} alt="The image to animate" />}
          {submit.error && <ErrorNotice error={submit.error} />}
          <SubmitButton busy={submit.busy}>Generate</SubmitButton>
        </form>
        <section className="panel grow" aria-labelledby="result-title">
          <h2 id="result-title">Result</h2>
          {run ? (
            <Progress taskId={run.taskId} apiKey={run.key} />
          ) : (
            <p className="empty">Submit the form and the video appears here when it is ready.</p>
          )}
        </section>
      </div>
    </>
  );
}

function Progress({ taskId, apiKey }: { taskId: string; apiKey: string }) {
  const task = useResource(
    () => call<SeedTask>(apiKey, 'GET', `/v1/video/generations/${taskId}`),
    taskId,
    (t) => (t && t.status !== 'processing' ? undefined : 1000),
  );
  const t = task.data;
  return (
    <div aria-live="polite">
      <p>
        Task{' '}
        <a href={`#/tasks/${taskId}`} className="mono">
          {taskId}
        </a>
        {t && (
          <>
            {' '}
            · {t.status} · {money(t.cost.amount)} {t.cost.state}
          </>
        )}
      </p>
      {task.error && <ErrorNotice error={task.error} onRetry={task.reload} />}
      <Video
        status={t?.status ?? 'processing'}
        progress={t?.progress ?? 0}
        url={t?.url ?? null}
        error={t?.error ?? null}
      />
      {t?.warnings?.map((w) => (
        <p key={w} className="notice warn">
          {w}
        </p>
      ))}
    </div>
  );
}
