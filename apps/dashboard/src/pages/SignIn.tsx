/** Sign in by pasting an API key (or the admin key); checked against `GET /v1/key` first. */
import { useId, useState, type FormEvent } from 'react';
import { api, ApiError, describeError } from '../lib/api';
import { useSession } from '../session';

export function SignIn() {
  const { signIn, refused } = useSession();
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | undefined>(refused);
  const [busy, setBusy] = useState(false);
  const inputId = useId();
  const errorId = useId();
  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    const value = key.trim();
    if (value === '') {
      setError('Paste an API key first.');
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      signIn(value, await api.me(value));
    } catch (err) {
      setError(
        err instanceof ApiError && err.status === 401
          ? 'That key was refused: it is unknown, revoked or mistyped. Check it and try again.'
          : describeError(err),
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="signin card" aria-labelledby="signin-title">
      <h1 id="signin-title">Sign in</h1>
      <p className="muted">
        Paste a SafeRouter API key, or the admin key the gateway printed at its first start. It stays in this
        browser&rsquo;s local storage until you sign out, and is sent only to this gateway.
      </p>
      <form onSubmit={(e) => void submit(e)} className="stack">
        <label htmlFor={inputId}>API key</label>
        <input
          id={inputId}
          className="input mono"
          data-testid="key-input"
          type="password"
          autoComplete="off"
          spellCheck={false}
          placeholder="sk-sr-…"
          value={key}
          aria-invalid={error !== undefined}
          aria-describedby={error === undefined ? undefined : errorId}
          onChange={(e) => setKey(e.target.value)}
        />
        {error !== undefined && (
          <p id={errorId} className="error-text" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </section>
  );
}
