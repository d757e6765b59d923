/**
 * The frame of every page: a header with the brand, the navigation (Keys only for the admin),
 * the trust badge, the theme switch and sign-out; then the page. A skip link leads keyboard users
 * past the header.
 */
import { useState, type ReactNode } from 'react';
import { NavLink } from 'react-router';
import { useSession } from '../session';
import { applyTheme, initialTheme, type Theme } from '../lib/theme';
import { TrustBadge } from './TrustBadge';

const NAV: { to: string; label: string; id: string; admin?: boolean }[] = [
  { to: '/models', label: 'Models', id: 'models' },
  { to: '/chat', label: 'Chat', id: 'chat' },
  { to: '/compare', label: 'Compare', id: 'compare' },
  { to: '/activity', label: 'Activity', id: 'activity' },
  { to: '/keys', label: 'Keys', id: 'keys', admin: true },
  { to: '/credits', label: 'Credits', id: 'credits' },
];

export function ThemeToggle() {
  const [theme, setTheme] = useState<Theme>(initialTheme);
  const next: Theme = theme === 'dark' ? 'light' : 'dark';
  return (
    <button
      type="button"
      className="btn btn-ghost theme-toggle"
      aria-label={`Switch to ${next} theme`}
      title={`Switch to ${next} theme`}
      onClick={() => {
        applyTheme(next, true);
        setTheme(next);
      }}
    >
      <span aria-hidden="true">{theme === 'dark' ? '☀' : '☾'}</span>
    </button>
  );
}

export function Layout({ children }: { children: ReactNode }) {
  const { session, signOut } = useSession();
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="header">
        <div className="header-row">
          <a className="brand" href="/models">
            <img src="/favicon.svg" alt="" width="24" height="24" />
            <span>SafeRouter</span>
          </a>
          <TrustBadge />
          <div className="header-actions">
            <ThemeToggle />
            {session !== undefined && (
              <>
                <span className="whoami" title={session.me.id}>
                  {session.isAdmin ? 'admin' : session.me.name}
                </span>
                <button type="button" className="btn btn-small" onClick={signOut}>
                  Sign out
                </button>
              </>
            )}
          </div>
        </div>
        {session !== undefined && (
          <nav className="nav" aria-label="Main">
            {NAV.filter((item) => !item.admin || session.isAdmin).map((item) => (
              <NavLink key={item.to} to={item.to} data-testid={`nav-${item.id}`} className="nav-link">
                {item.label}
              </NavLink>
            ))}
          </nav>
        )}
      </header>
      <main id="main" className="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}
