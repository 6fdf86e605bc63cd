import { useState, type FormEvent } from 'react';
import { useSession } from '../session';
import { ErrorNotice, Field, SubmitButton, useAction } from '../ui';

export function SignInPage() {
  const { signIn } = useSession();
  const [token, setToken] = useState('');
  const action = useAction();

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void action.run(() => signIn(token));
  };

  return (
    <main className="sign-in" id="main">
      <form onSubmit={submit} aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">Reelay console</h1>
        <p>
          Operators sign in with the admin token. Everyone else signs in with an API key (<code>sk-…</code>)
          and sees their own tasks and usage.
        </p>
        {/* Password managers (and Chromium's checks) expect a user name beside a password. */}
        <input type="text" name="username" autoComplete="username" value="reelay" readOnly hidden />
        <Field label="Admin token or API key" hint="Kept in this tab only; closing the tab signs you out.">
          {(props) => (
            <input
              {...props}
              type="password"
              autoComplete="current-password"
              required
              autoFocus
              value={token}
              onChange={(e) => setToken(e.target.value)}
            />
          )}
        </Field>
        {action.error && <ErrorNotice error={action.error} />}
        <SubmitButton busy={action.busy}>Sign in</SubmitButton>
      </form>
    </main>
  );
}
