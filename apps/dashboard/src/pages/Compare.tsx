/**
 * Compare (`/compare`): one prompt, answered by up to four models side by side, all streaming at
 * once (each column its own request), with a status, timers, tokens and cost per column. The
 * models chosen per column are remembered in this browser.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Empty, ErrorBox, Loading } from '../components/States';
import { useModels } from '../lib/queries';
import { Composer } from './chat/Composer';
import { useChannel } from './chat/use-channel';
import { CompareColumn, type ColumnHandle } from './compare/CompareColumn';
import { initialColumns, MAX_COLUMNS, newColumn, resolveModels, storeModels, type Column } from './compare/columns';
import './Compare.css';

export default function Compare() {
  const models = useModels();
  const channel = useChannel();
  const [columns, setColumns] = useState<Column[]>(initialColumns);
  const [prompt, setPrompt] = useState('');
  const [sent, setSent] = useState<string>();
  const [busy, setBusy] = useState<ReadonlySet<number>>(new Set());
  const handles = useRef(new Map<number, ColumnHandle>());

  const resolved = useMemo(() => resolveModels(columns, models.data), [columns, models.data]);
  const allResolved = resolved.every((m) => m !== undefined);

  // Remember what the columns show, once the catalog is known (so defaults are real models).
  const remembered = allResolved && models.data !== undefined ? resolved.join('\n') : undefined;
  useEffect(() => {
    if (remembered !== undefined) storeModels(remembered.split('\n'));
  }, [remembered]);

  const setColumnBusy = useCallback((id: number, isBusy: boolean) => {
    setBusy((current) => {
      if (current.has(id) === isBusy) return current;
      const next = new Set(current);
      if (isBusy) next.add(id);
      else next.delete(id);
      return next;
    });
  }, []);

  const send = (): void => {
    const text = prompt.trim();
    if (text === '') return;
    setSent(text);
    for (const column of columns) handles.current.get(column.id)?.send(text);
  };

  const stopAll = (): void => {
    for (const handle of handles.current.values()) handle.stop();
  };

  const choose = (index: number, model: string): void =>
    setColumns((all) => all.map((c, i) => (i === index ? { ...c, model } : c)));

  const noModels = models.isSuccess && !models.data.some((m) => m.available);
  return (
    <section className="compare-page" aria-labelledby="compare-title">
      <div className="page-head">
        <h1 id="compare-title">Compare</h1>
        <p className="muted">One prompt, up to {MAX_COLUMNS} models side by side, streamed in parallel.</p>
      </div>
      {models.isPending && <Loading label="Loading models…" />}
      {models.isError && <ErrorBox error={models.error} onRetry={() => void models.refetch()} />}
      {noModels && <Empty title="No model is available">This gateway has no provider key for any model.</Empty>}
      <div className="compare-prompt">
        <Composer
          value={prompt}
          onChange={setPrompt}
          onSend={send}
          onStop={stopAll}
          busy={busy.size > 0}
          canSend={allResolved && models.isSuccess && !noModels && !channel.isError}
          label="Prompt for every column"
          placeholder="One prompt for every column (Enter sends, Shift+Enter: new line)"
          stopLabel="Stop all"
          testIds={{ input: 'compare-input', send: 'compare-send', stop: 'compare-stop' }}
        />
      </div>
      <div className="compare-toolbar">
        <p className="muted compare-sent" data-testid="compare-sent">
          {sent === undefined ? `${columns.length} of ${MAX_COLUMNS} columns` : `Prompt: ${sent}`}
        </p>
        <button
          type="button"
          className="btn btn-small"
          data-testid="compare-add-column"
          disabled={columns.length >= MAX_COLUMNS}
          title={columns.length >= MAX_COLUMNS ? `At most ${MAX_COLUMNS} columns` : undefined}
          onClick={() => setColumns((all) => (all.length >= MAX_COLUMNS ? all : [...all, newColumn()]))}
        >
          + Add column
        </button>
      </div>
      <div className="compare-columns" data-count={columns.length}>
        {columns.map((column, index) => (
          <CompareColumn
            key={column.id}
            index={index}
            model={resolved[index]}
            onModel={(model) => choose(index, model)}
            onRemove={columns.length > 1 ? () => setColumns((all) => all.filter((c) => c.id !== column.id)) : undefined}
            onBusy={(isBusy) => setColumnBusy(column.id, isBusy)}
            ref={(handle) => {
              if (handle === null) handles.current.delete(column.id);
              else handles.current.set(column.id, handle);
            }}
          />
        ))}
      </div>
    </section>
  );
}
