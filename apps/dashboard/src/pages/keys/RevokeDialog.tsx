/**
 * Confirms a revocation in a modal <dialog> naming the key. Revoking cannot be undone: the key is
 * refused at once on this gateway and within the key cache's lifetime on every other.
 */
import { useEffect, useId, useRef } from 'react';
import { describeError, type KeyInfo } from '../../lib/api';

export function RevokeDialog({
  target,
  pending,
  error,
  onCancel,
  onConfirm,
}: {
  target: KeyInfo | undefined;
  pending: boolean;
  error: unknown;
  onCancel: () => void;
  onConfirm: (key: KeyInfo) => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const open = target !== undefined;
  useEffect(() => {
    const d = dialog.current;
    if (d === null) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog
      ref={dialog}
      className="confirm"
      aria-labelledby={titleId}
      data-testid="revoke-dialog"
      onClose={() => {
        if (open) onCancel();
      }}
    >
      {target !== undefined && (
        <div className="stack">
          <h2 id={titleId}>Revoke “{target.name}”?</h2>
          <p>
            Requests with <code>{target.prefix ?? target.id}</code> will be refused from now on. This cannot be undone;
            the key’s history stays in the activity log.
          </p>
          {error !== null && error !== undefined && (
            <p className="error-text" role="alert">
              {describeError(error)}
            </p>
          )}
          <div className="row dialog-actions">
            <button type="button" className="btn" autoFocus onClick={onCancel}>
              Cancel
            </button>
            <button
              type="button"
              className="btn btn-danger"
              data-testid="key-revoke-confirm"
              disabled={pending}
              onClick={() => onConfirm(target)}
            >
              Revoke
            </button>
          </div>
        </div>
      )}
    </dialog>
  );
}
