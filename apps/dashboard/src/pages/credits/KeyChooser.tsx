/** For the admin, whose key has no balance: which key's credits to show (`?key_id=` in the URL). */
import { useId } from 'react';
import { ErrorBox, Loading } from '../../components/States';
import type { KeyInfo } from '../../lib/api';

export function KeyChooser({
  keys,
  value,
  onChange,
}: {
  keys: { data: KeyInfo[] | undefined; isPending: boolean; error: unknown; refetch: () => unknown };
  value: string;
  onChange: (keyId: string) => void;
}) {
  const id = useId();
  if (keys.isPending) return <Loading label="Loading keys…" />;
  if (keys.data === undefined) return <ErrorBox error={keys.error} onRetry={() => void keys.refetch()} />;
  const users = keys.data.filter((k) => k.role !== 'admin');
  return (
    <div className="key-chooser">
      <label className="field" htmlFor={id}>
        <span className="field-label">Key</span>
        <select
          id={id}
          className="input"
          data-testid="credits-key-select"
          value={value}
          onChange={(e) => onChange(e.target.value)}
        >
          <option value="">Choose a key…</option>
          {users.map((k) => (
            <option key={k.id} value={k.id}>
              {k.name} ({k.prefix ?? k.id}){k.revoked_at != null ? ' · revoked' : ''}
            </option>
          ))}
        </select>
      </label>
      {users.length === 0 && <p className="muted">No keys yet: create one on the Keys page.</p>}
    </div>
  );
}
