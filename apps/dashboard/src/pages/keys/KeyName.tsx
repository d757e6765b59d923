/**
 * A key's name, renamed in place: the edit button turns it into an input; Enter saves (PATCH),
 * Escape cancels, and focus returns to the edit button either way.
 */
import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { describeError, type KeyInfo } from '../../lib/api';
import { useRenameKey } from './queries';

export function KeyName({ info, editable }: { info: KeyInfo; editable: boolean }) {
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(info.name);
  const rename = useRenameKey();
  const editButton = useRef<HTMLButtonElement>(null);
  const refocus = useRef(false);

  useEffect(() => {
    if (!editing && refocus.current) {
      refocus.current = false;
      editButton.current?.focus();
    }
  }, [editing]);

  const close = (): void => {
    refocus.current = true;
    rename.reset();
    setEditing(false);
  };
  const save = (): void => {
    const name = draft.trim();
    if (name === info.name) return close();
    rename.mutate({ id: info.id, name }, { onSuccess: close });
  };
  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>): void => {
    if (e.key === 'Enter') {
      e.preventDefault();
      save();
    } else if (e.key === 'Escape') {
      e.preventDefault();
      close();
    }
  };

  if (!editing) {
    return (
      <span className="key-name">
        <span data-testid="key-name">{info.name}</span>
        {editable && (
          <button
            ref={editButton}
            type="button"
            className="btn btn-small btn-ghost"
            aria-label={`Rename ${info.name}`}
            title="Rename"
            data-testid="key-rename"
            onClick={() => {
              setDraft(info.name);
              setEditing(true);
            }}
          >
            <span aria-hidden="true">✎</span>
          </button>
        )}
      </span>
    );
  }
  return (
    <span className="key-name-edit">
      <input
        className="input key-name-input"
        aria-label={`New name for ${info.name}`}
        data-testid="key-rename-input"
        maxLength={100}
        value={draft}
        autoFocus
        disabled={rename.isPending}
        onChange={(e) => setDraft(e.target.value)}
        onKeyDown={onKeyDown}
      />
      <button type="button" className="btn btn-small" onClick={save} disabled={rename.isPending}>
        Save
      </button>
      <button type="button" className="btn btn-small btn-ghost" onClick={close}>
        Cancel
      </button>
      {rename.isError && (
        <span className="error-text key-name-error" role="alert">
          {describeError(rename.error)}
        </span>
      )}
    </span>
  );
}
