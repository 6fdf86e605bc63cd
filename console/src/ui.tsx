/** Small building blocks every page uses: loading and error states, badges, fields, dialogs, copy buttons. */
import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { ApiError } from './api';
import type { Resource } from './hooks';
import { useSession } from './session';

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {label}
    </p>
  );
}

export function ErrorNotice({ error, onRetry }: { error: Error; onRetry?: () => void }) {
  const { session, signOut } = useSession();
  // A 401 while signed in: the token was revoked or changed (on the sign-in page it is just a wrong token).
  const expired = session !== null && error instanceof ApiError && error.status === 401;
  return (
    <div className="notice error" role="alert">
      <p>
        <strong>{expired ? 'Your session is no longer valid.' : 'Something went wrong.'}</strong>{' '}
        {error.message}
        {error instanceof ApiError && error.param ? ` (${error.param})` : ''}
      </p>
      {expired ? (
        <button type="button" onClick={signOut}>
          Sign in again
        </button>
      ) : (
        onRetry && (
          <button type="button" onClick={onRetry}>
            Try again
          </button>
        )
      )}
    </div>
  );
}

/** Shows a resource: loading, then its data; an error with a retry (beside the last data, when there is some). */
export function Loaded<T>({
  resource,
  label,
  children,
}: {
  resource: Resource<T>;
  label?: string;
  children: (data: T) => ReactNode;
}) {
  const { data, error, loading, reload } = resource;
  if (data === undefined) {
    if (error) return <ErrorNotice error={error} onRetry={reload} />;
    if (loading) return <Loading label={label} />;
  }
  return (
    <>
      {error && <ErrorNotice error={error} onRetry={reload} />}
      {data !== undefined && children(data)}
    </>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}

export function PageHeader({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <header className="page-header">
      <h1 tabIndex={-1}>{title}</h1>
      {children && <div className="actions">{children}</div>}
    </header>
  );
}

const statusLabels: Record<string, string> = {
  processing: 'Processing',
  submitting: 'Submitting',
  succeeded: 'Succeeded',
  failed: 'Failed',
  closed: 'Healthy',
  open: 'Circuit open',
  half_open: 'Probing',
  enabled: 'Enabled',
  disabled: 'Disabled',
  active: 'Active',
  revoked: 'Revoked',
  expired: 'Expired',
  free: 'Free',
};

/** A state as a word and a colour (never the colour alone). */
export function Badge({ state }: { state: string }) {
  return <span className={`badge badge-${state}`}>{statusLabels[state] ?? state}</span>;
}

export function Field({
  label,
  hint,
  children,
}: {
  label: string;
  hint?: ReactNode;
  children: (props: { id: string; 'aria-describedby'?: string }) => ReactNode;
}) {
  const id = useId();
  const hintId = `${id}-hint`;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children({ id, ...(hint ? { 'aria-describedby': hintId } : {}) })}
      {hint && (
        <small id={hintId} className="hint">
          {hint}
        </small>
      )}
    </div>
  );
}

/** A modal dialog on the native <dialog>: it traps focus, closes on Escape and gives focus back. */
export function Dialog({
  title,
  onClose,
  children,
}: {
  title: string;
  onClose: () => void;
  children: ReactNode;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    return () => dialog?.close();
  }, []);
  return (
    <dialog ref={ref} aria-labelledby={titleId} onClose={onClose} onCancel={onClose}>
      <div className="dialog-header">
        <h2 id={titleId}>{title}</h2>
        <button type="button" className="icon" aria-label="Close" onClick={onClose}>
          ×
        </button>
      </div>
      {children}
    </dialog>
  );
}

export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [copied, setCopied] = useState<boolean | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  };
  return (
    <>
      <button type="button" onClick={() => void copy()}>
        {label}
      </button>
      <span role="status" className="hint">
        {copied === true ? 'Copied' : copied === false ? 'Copy failed: select the text and copy it' : ''}
      </span>
    </>
  );
}

/** A submit button that says it is working and cannot be pressed twice. */
export function SubmitButton({ busy, children }: { busy: boolean; children: ReactNode }) {
  return (
    <button type="submit" className="primary" disabled={busy} aria-busy={busy}>
      {busy ? 'Working…' : children}
    </button>
  );
}

/** The end of a dialog's form: the action's error, Cancel, and the submit button. */
export function DialogActions({
  action,
  onCancel,
  children,
}: {
  action: { busy: boolean; error: Error | null };
  onCancel: () => void;
  /** The submit button's label. */
  children: ReactNode;
}) {
  return (
    <>
      {action.error && <ErrorNotice error={action.error} />}
      <div className="form-actions">
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        <SubmitButton busy={action.busy}>{children}</SubmitButton>
      </div>
    </>
  );
}

/** A form action's state: busy while it runs, its error after. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (err) {
      setError(err instanceof Error ? err : new Error(String(err)));
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run, clearError: () => setError(null) };
}

export type Column =
  | string
  | { label: string; numeric?: boolean; /** Announced, not shown (action buttons). */ hidden?: boolean };

/** A data table that scrolls sideways on small screens, with its caption and column headers. */
export function Table({
  caption,
  showCaption = false,
  columns,
  className,
  children,
}: {
  caption: string;
  showCaption?: boolean;
  columns: Column[];
  className?: string;
  children: ReactNode;
}) {
  return (
    <div className="table-wrap">
      <table className={className}>
        <caption className={showCaption ? undefined : 'sr-only'}>{caption}</caption>
        <thead>
          <tr>
            {columns.map((column) => {
              const { label, numeric, hidden } = typeof column === 'string' ? { label: column } : column;
              return (
                <th key={label} scope="col" className={numeric ? 'num' : undefined}>
                  {hidden ? <span className="sr-only">{label}</span> : label}
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}
