/**
 * The conversation list: a sidebar on wide screens, a collapsible panel on phones. Each entry
 * opens its conversation and can be renamed inline (Enter keeps, Escape cancels) or deleted after
 * a confirmation.
 */
import { useEffect, useId, useRef, useState } from 'react';
import { dateTime } from '../../lib/format';
import type { Conversation } from './conversations';

function ConfirmDelete({
  conversation,
  onConfirm,
  onCancel,
}: {
  conversation: Conversation;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const d = dialog.current;
    if (d !== null && !d.open) d.showModal();
  }, []);
  return (
    <dialog ref={dialog} className="confirm" aria-labelledby={titleId} onClose={onCancel}>
      <h2 id={titleId}>Delete this conversation?</h2>
      <p>
        “{conversation.title}” and its {conversation.turns.length} message{conversation.turns.length === 1 ? '' : 's'}{' '}
        will be removed from this browser. This cannot be undone.
      </p>
      <div className="row">
        <button type="button" className="btn btn-danger" data-testid="confirm-delete" onClick={onConfirm}>
          Delete
        </button>
        <button type="button" className="btn" autoFocus onClick={onCancel}>
          Cancel
        </button>
      </div>
    </dialog>
  );
}

function RenameField({ initial, onDone }: { initial: string; onDone: (title: string | undefined) => void }) {
  const [title, setTitle] = useState(initial);
  const id = useId();
  // Enter, Escape and blur can all end an edit; only the first one counts.
  const ended = useRef(false);
  const end = (value: string | undefined): void => {
    if (ended.current) return;
    ended.current = true;
    onDone(value);
  };
  return (
    <form
      className="conversation-rename"
      onSubmit={(e) => {
        e.preventDefault();
        end(title);
      }}
    >
      <label htmlFor={id} className="visually-hidden">
        Conversation name
      </label>
      <input
        id={id}
        className="input"
        data-testid="conversation-title-input"
        value={title}
        autoFocus
        maxLength={120}
        onChange={(e) => setTitle(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Escape') {
            e.preventDefault();
            end(undefined);
          }
        }}
        onBlur={() => end(title)}
      />
    </form>
  );
}

export function ConversationList({
  list,
  currentId,
  onSelect,
  onNew,
  onRename,
  onDelete,
  disabled,
}: {
  list: Conversation[];
  currentId: string | undefined;
  onSelect: (id: string) => void;
  onNew: () => void;
  onRename: (id: string, title: string) => void;
  onDelete: (id: string) => void;
  /** While an answer streams, the open conversation stays open. */
  disabled: boolean;
}) {
  const [renaming, setRenaming] = useState<string>();
  const [deleting, setDeleting] = useState<Conversation>();
  const [expanded, setExpanded] = useState(false);
  const panelId = useId();
  return (
    <aside className="conversations" aria-label="Conversations" data-expanded={expanded ? 'true' : 'false'}>
      <div className="conversations-head">
        <button
          type="button"
          className="btn btn-small conversations-toggle"
          aria-expanded={expanded}
          aria-controls={panelId}
          onClick={() => setExpanded(!expanded)}
        >
          Conversations ({list.length})
        </button>
        <h2 className="conversations-title">Conversations</h2>
        <button
          type="button"
          className="btn btn-small"
          data-testid="conversation-new"
          disabled={disabled}
          onClick={() => {
            onNew();
            setExpanded(false);
          }}
        >
          + New
        </button>
      </div>
      <div id={panelId} className="conversations-panel">
        {list.length === 0 ? (
          <p className="muted conversations-empty">No conversations yet. They are kept in this browser only.</p>
        ) : (
          <ul className="conversations-list">
            {list.map((c) => (
              <li
                key={c.id}
                className={`conversation${c.id === currentId ? ' conversation-current' : ''}`}
                data-testid="conversation-item"
                data-current={c.id === currentId ? 'true' : 'false'}
              >
                {renaming === c.id ? (
                  <RenameField
                    initial={c.title}
                    onDone={(title) => {
                      if (title !== undefined) onRename(c.id, title);
                      setRenaming(undefined);
                    }}
                  />
                ) : (
                  <button
                    type="button"
                    className="conversation-open"
                    aria-current={c.id === currentId ? 'true' : undefined}
                    disabled={disabled && c.id !== currentId}
                    title={`Updated ${dateTime(c.updatedAt)}`}
                    onClick={() => {
                      onSelect(c.id);
                      setExpanded(false);
                    }}
                  >
                    <span className="conversation-name" data-testid="conversation-title">
                      {c.title}
                    </span>
                    <span className="conversation-count muted">
                      {c.turns.length} message{c.turns.length === 1 ? '' : 's'}
                    </span>
                  </button>
                )}
                <div className="conversation-actions">
                  <button
                    type="button"
                    className="btn btn-ghost btn-small"
                    data-testid="conversation-rename"
                    aria-label={`Rename “${c.title}”`}
                    onClick={() => setRenaming(c.id)}
                  >
                    Rename
                  </button>
                  <button
                    type="button"
                    className="btn btn-ghost btn-small"
                    data-testid="conversation-delete"
                    aria-label={`Delete “${c.title}”`}
                    disabled={disabled && c.id === currentId}
                    onClick={() => setDeleting(c)}
                  >
                    Delete
                  </button>
                </div>
              </li>
            ))}
          </ul>
        )}
      </div>
      {deleting !== undefined && (
        <ConfirmDelete
          conversation={deleting}
          onConfirm={() => {
            onDelete(deleting.id);
            setDeleting(undefined);
          }}
          onCancel={() => setDeleting(undefined)}
        />
      )}
    </aside>
  );
}
