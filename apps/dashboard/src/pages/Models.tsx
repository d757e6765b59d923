/**
 * The model catalog (`GET /v1/models`): a card per model with its provider, context length,
 * prices per 1M tokens (cache hits too, when priced), the providers serving it when there are
 * several (in the order they are tried), capabilities and availability; search and a provider filter; "Try it"
 * copies a ready-to-run snippet with the user's key (masked on screen, complete when copied).
 */
import { useId, useMemo, useState } from 'react';
import { CopyButton } from '../components/CopyButton';
import { Empty, ErrorBox, Loading } from '../components/States';
import type { Model, ModelEndpoint } from '../lib/api';
import { maskKey, perMillion, tokens } from '../lib/format';
import { useModels } from '../lib/queries';
import { SNIPPET_LANGUAGES, snippet, type SnippetLanguage } from '../lib/snippets';
import { useSignedIn } from '../session';

function TryIt({ model }: { model: Model }) {
  const { key } = useSignedIn();
  const [language, setLanguage] = useState<SnippetLanguage>('curl');
  const origin = location.origin;
  return (
    <details className="try">
      <summary>Try it</summary>
      <div className="tabs" role="group" aria-label="Snippet language">
        {SNIPPET_LANGUAGES.map((l) => (
          <button
            key={l.id}
            type="button"
            className={`tab${language === l.id ? ' tab-active' : ''}`}
            aria-pressed={language === l.id}
            onClick={() => setLanguage(l.id)}
          >
            {l.label}
          </button>
        ))}
      </div>
      <pre className="code" data-testid="snippet">
        <code>{snippet(language, origin, model.id, maskKey(key))}</code>
      </pre>
      <CopyButton
        text={() => snippet(language, origin, model.id, key)}
        label="Copy with my key"
        testId="snippet-copy"
      />
    </details>
  );
}

/** A model served by several providers: each, in the order they are tried, with its prices. */
function Endpoints({ endpoints }: { endpoints: ModelEndpoint[] }) {
  return (
    <details className="model-endpoints" data-testid="model-endpoints">
      <summary>Served by {endpoints.length} providers</summary>
      <ol>
        {endpoints.map((e) => (
          <li key={e.provider} data-testid="model-endpoint" data-provider={e.provider}>
            <span className="mono">{e.provider}</span>{' '}
            <span className="muted">
              {perMillion(e.pricing.prompt)} in · {perMillion(e.pricing.completion)} out
            </span>
          </li>
        ))}
      </ol>
    </details>
  );
}

function ModelCard({ model }: { model: Model }) {
  return (
    <article
      className={`card model-card${model.available ? '' : ' model-unavailable'}`}
      data-testid="model-card"
      data-model-id={model.id}
    >
      <header className="model-card-head">
        <h2 className="model-name">{model.name ?? model.id}</h2>
        <span className="badge badge-provider">{model.provider}</span>
      </header>
      <p className="mono model-id">{model.id}</p>
      {model.description !== undefined && <p className="muted model-desc">{model.description}</p>}
      <dl className="facts">
        <div>
          <dt>Context</dt>
          <dd>{tokens(model.context_length)}</dd>
        </div>
        <div>
          <dt>Input /1M</dt>
          <dd>{perMillion(model.pricing.prompt)}</dd>
        </div>
        <div>
          <dt>Output /1M</dt>
          <dd>{perMillion(model.pricing.completion)}</dd>
        </div>
        {model.pricing.input_cache_read !== undefined && (
          <div>
            <dt>Cached /1M</dt>
            <dd data-testid="model-cached-price">{perMillion(model.pricing.input_cache_read)}</dd>
          </div>
        )}
      </dl>
      {model.endpoints !== undefined && model.endpoints.length > 1 && <Endpoints endpoints={model.endpoints} />}
      <ul className="chips" aria-label="Capabilities">
        {model.capabilities.map((c) => (
          <li key={c} className="chip">
            {c}
          </li>
        ))}
        {model.demo === true && <li className="chip chip-demo">demo</li>}
      </ul>
      <p className={model.available ? 'avail avail-yes' : 'avail avail-no'} data-testid="model-availability">
        {model.available ? 'Available' : 'Unavailable: this gateway has no key for its provider'}
      </p>
      {model.available && <TryIt model={model} />}
    </article>
  );
}

export function Models() {
  const models = useModels();
  const [search, setSearch] = useState('');
  const [provider, setProvider] = useState('');
  const searchId = useId();
  const providerId = useId();
  const providers = useMemo(
    () =>
      [
        ...new Set((models.data ?? []).flatMap((m) => [m.provider, ...(m.endpoints ?? []).map((e) => e.provider)])),
      ].sort(),
    [models.data],
  );
  const shown = useMemo(() => {
    const needle = search.trim().toLowerCase();
    return (models.data ?? []).filter(
      (m) =>
        (provider === '' || m.provider === provider || (m.endpoints ?? []).some((e) => e.provider === provider)) &&
        (needle === '' ||
          `${m.id} ${m.name ?? ''} ${m.description ?? ''} ${m.capabilities.join(' ')}`.toLowerCase().includes(needle)),
    );
  }, [models.data, search, provider]);
  return (
    <section aria-labelledby="models-title">
      <div className="page-head">
        <h1 id="models-title">Models</h1>
        {models.isSuccess && (
          <p className="muted">
            {models.data.length} models, {models.data.filter((m) => m.available).length} available
          </p>
        )}
      </div>
      <div className="toolbar">
        <label htmlFor={searchId} className="visually-hidden">
          Search models
        </label>
        <input
          id={searchId}
          type="search"
          className="input"
          placeholder="Search models"
          data-testid="model-search"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
        />
        <label htmlFor={providerId} className="visually-hidden">
          Provider
        </label>
        <select
          id={providerId}
          className="input"
          data-testid="provider-filter"
          value={provider}
          onChange={(e) => setProvider(e.target.value)}
        >
          <option value="">All providers</option>
          {providers.map((p) => (
            <option key={p} value={p}>
              {p}
            </option>
          ))}
        </select>
      </div>
      {models.isPending && <Loading label="Loading models…" />}
      {models.isError && <ErrorBox error={models.error} onRetry={() => void models.refetch()} />}
      {models.isSuccess && shown.length === 0 && (
        <Empty title="No models match">
          {models.data.length === 0
            ? 'This gateway has no models configured.'
            : 'Clear the search or the provider filter.'}
        </Empty>
      )}
      <div className="grid">
        {shown.map((m) => (
          <ModelCard key={m.id} model={m} />
        ))}
      </div>
    </section>
  );
}
