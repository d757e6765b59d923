/**
 * A new key's secret, shown once: the gateway stores only its hash, so once this panel is
 * dismissed the secret is gone from the page for good. Focus moves here so it is not missed.
 */
import { useEffect, useId, useRef } from 'react';
import { CopyButton } from '../../components/CopyButton';

export function SecretPanel({ name, secret, onDone }: { name: string; secret: string; onDone: () => void }) {
  const titleId = useId();
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  return (
    <section className="card secret-panel" aria-labelledby={titleId} data-testid="key-secret-panel">
      <h2 id={titleId} ref={heading} tabIndex={-1}>
        Key “{name}” created
      </h2>
      <p className="secret-warning">
        <strong>Copy it now: you won’t see this again.</strong> SafeRouter keeps only a hash of it.
      </p>
      <div className="secret-row">
        <code className="secret-value" data-testid="key-secret">
          {secret}
        </code>
        <CopyButton text={secret} label="Copy key" className="btn btn-primary" testId="key-secret-copy" />
      </div>
      <div className="row">
        <button type="button" className="btn" data-testid="key-secret-done" onClick={onDone}>
          Done
        </button>
      </div>
    </section>
  );
}
