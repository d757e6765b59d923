/**
 * The model pill: shows the current model and opens a searchable drawer (a modal <dialog>, so
 * focus is trapped and Escape closes it) listing every model with its provider and price.
 * Unavailable models (no provider key on this gateway) are shown, but cannot be picked.
 */
import { useEffect, useId, useMemo, useRef, useState } from 'react';
import { perMillion } from '../lib/format';
import { useModels } from '../lib/queries';

export function ModelPicker({
  value,
  onChange,
  label = 'Model',
}: {
  value: string | undefined;
  onChange: (id: string) => void;
  label?: string;
}) {
  const models = useModels();
  const dialog = useRef<HTMLDialogElement>(null);
  const searchInput = useRef<HTMLInputElement>(null);
  const [open, setOpen] = useState(false);
  const [search, setSearch] = useState('');
  const titleId = useId();
  useEffect(() => {
    const d = dialog.current;
    if (d === null) return;
    if (open && !d.open) {
      d.showModal();
      // The search field, not the close button, takes focus: type to filter at once.
      searchInput.current?.focus();
    }
    if (!open && d.open) d.close();
  }, [open]);
  const shown = useMemo(() => {
    const needle = search.trim().toLowerCase();
    return (models.data ?? []).filter(
      (m) => needle === '' || `${m.id} ${m.name ?? ''} ${m.provider}`.toLowerCase().includes(needle),
    );
  }, [models.data, search]);
  const pick = (id: string): void => {
    onChange(id);
    setOpen(false);
  };
  // Each opening starts with the whole list.
  useEffect(() => {
    if (!open) setSearch('');
  }, [open]);
  return (
    <>
      <button
        type="button"
        className="pill"
        data-testid="model-picker"
        aria-haspopup="dialog"
        onClick={() => setOpen(true)}
      >
        <span className="pill-label">{label}</span>
        <span className="pill-value">{value ?? 'choose…'}</span>
        <span className="visually-hidden">, change model</span>
        <span aria-hidden="true">▾</span>
      </button>
      <dialog
        ref={dialog}
        className="drawer"
        aria-labelledby={titleId}
        onClose={() => setOpen(false)}
        onKeyDown={(e) => {
          // Escape closes from anywhere in the drawer, the search field included (where the
          // browser would otherwise spend it clearing the field).
          if (e.key === 'Escape') {
            e.preventDefault();
            setOpen(false);
          }
        }}
        onClick={(e) => {
          if (e.target === dialog.current) setOpen(false);
        }}
      >
        <div className="drawer-head">
          <h2 id={titleId}>Choose a model</h2>
          <button type="button" className="btn btn-ghost" onClick={() => setOpen(false)} aria-label="Close">
            ✕
          </button>
        </div>
        <input
          type="search"
          className="input"
          placeholder="Search models"
          aria-label="Search models"
          value={search}
          ref={searchInput}
          onChange={(e) => setSearch(e.target.value)}
        />
        {models.isPending && <p className="muted">Loading models…</p>}
        {models.isError && <p className="error-text">Could not load models.</p>}
        {models.isSuccess && shown.length === 0 && <p className="muted">No model matches “{search}”.</p>}
        <ul className="drawer-list">
          {shown.map((m) => (
            <li key={m.id}>
              <button
                type="button"
                className={`option${m.id === value ? ' option-current' : ''}`}
                data-testid="model-option"
                data-model-id={m.id}
                disabled={!m.available}
                aria-current={m.id === value ? 'true' : undefined}
                onClick={() => pick(m.id)}
              >
                <span className="option-name">{m.id}</span>
                <span className="option-meta">
                  <span className="badge">{m.provider}</span>
                  {m.available
                    ? ` ${perMillion(m.pricing.prompt)} in · ${perMillion(m.pricing.completion)} out /1M`
                    : ' unavailable: no provider key'}
                </span>
              </button>
            </li>
          ))}
        </ul>
      </dialog>
    </>
  );
}
