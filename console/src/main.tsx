/** The console's shell: sign-in, navigation by role, and the page for the current route. */
import { lazy, StrictMode, Suspense, useEffect, useRef, type ReactNode } from 'react';
import { createRoot } from 'react-dom/client';
import { useHashRoute } from './hooks';
import { AuditLogPage } from './pages/AuditLog';
import { ChannelsPage } from './pages/Channels';
import { KeysPage } from './pages/Keys';
import { PlaygroundPage } from './pages/Playground';
import { PricesPage } from './pages/Prices';
import { SignInPage } from './pages/SignIn';
import { TaskDetailPage } from './pages/TaskDetail';
import { TasksPage } from './pages/Tasks';
import { SessionProvider, useSession, type Role } from './session';
import { Loading } from './ui';
import './styles.css';

// The charts library is the bulk of the code: loaded when Usage is first opened.
const UsagePage = lazy(() => import('./pages/Usage').then((m) => ({ default: m.UsagePage })));

interface Section {
  path: string;
  label: string;
  roles: Role[];
  render: (rest: string[]) => ReactNode;
}

const sections: Section[] = [
  {
    path: 'tasks',
    label: 'Tasks',
    roles: ['admin', 'user'],
    render: ([id]) => (id ? <TaskDetailPage id={id} /> : <TasksPage />),
  },
  { path: 'channels', label: 'Channels', roles: ['admin'], render: () => <ChannelsPage /> },
  { path: 'prices', label: 'Prices', roles: ['admin'], render: () => <PricesPage /> },
  { path: 'keys', label: 'Keys & users', roles: ['admin'], render: ([id]) => <KeysPage userId={id} /> },
  {
    path: 'usage',
    label: 'Usage',
    roles: ['admin', 'user'],
    render: () => (
      <Suspense fallback={<Loading label="Loading charts…" />}>
        <UsagePage />
      </Suspense>
    ),
  },
  { path: 'playground', label: 'Playground', roles: ['admin', 'user'], render: () => <PlaygroundPage /> },
  { path: 'audit', label: 'Audit log', roles: ['admin'], render: () => <AuditLogPage /> },
];

function Shell() {
  const { session, signOut } = useSession();
  const [first = 'tasks', ...rest] = useHashRoute();
  const main = useRef<HTMLElement>(null);

  // A new page moves focus to its heading, so keyboard and screen-reader users land where the content starts.
  useEffect(() => {
    main.current?.querySelector<HTMLElement>('h1')?.focus();
  }, [first, rest[0]]);

  if (!session) return <SignInPage />;
  const mine = sections.filter((s) => s.roles.includes(session.role));
  const section = mine.find((s) => s.path === first);

  return (
    <>
      <a className="skip" href="#main" onClick={(e) => (e.preventDefault(), main.current?.focus())}>
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">Reelay</span>
        <nav aria-label="Sections">
          <ul>
            {mine.map((s) => (
              <li key={s.path}>
                <a href={`#/${s.path}`} aria-current={s.path === first ? 'page' : undefined}>
                  {s.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <span className="who">{session.role === 'admin' ? 'Operator' : 'API key'}</span>
        <button type="button" onClick={signOut}>
          Sign out
        </button>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        {section ? (
          section.render(rest)
        ) : (
          <div className="notice" role="alert">
            <h1 tabIndex={-1}>Page not found</h1>
            <p>
              There is no page here. <a href="#/tasks">Go to the tasks</a>.
            </p>
          </div>
        )}
      </main>
    </>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <SessionProvider>
      <Shell />
    </SessionProvider>
  </StrictMode>,
);
