/** Model, provider and outcome filters for the request log and the stats. */
import { useId } from 'react';
import type { ActivityFilter } from './queries';

export function ActivityFilters({
  value,
  onChange,
  models,
  providers,
}: {
  value: ActivityFilter;
  onChange: (next: ActivityFilter) => void;
  models: string[];
  providers: string[];
}) {
  const id = useId();
  return (
    <div className="activity-filters">
      <label className="field" htmlFor={`${id}-model`}>
        <span className="field-label">Model</span>
        <select
          id={`${id}-model`}
          className="input"
          data-testid="activity-filter-model"
          value={value.model}
          onChange={(e) => onChange({ ...value, model: e.target.value })}
        >
          <option value="">All models</option>
          {models.map((m) => (
            <option key={m} value={m}>
              {m}
            </option>
          ))}
        </select>
      </label>
      <label className="field" htmlFor={`${id}-provider`}>
        <span className="field-label">Provider</span>
        <select
          id={`${id}-provider`}
          className="input"
          data-testid="activity-filter-provider"
          value={value.provider}
          onChange={(e) => onChange({ ...value, provider: e.target.value })}
        >
          <option value="">All providers</option>
          {providers.map((p) => (
            <option key={p} value={p}>
              {p}
            </option>
          ))}
        </select>
      </label>
      <label className="field" htmlFor={`${id}-outcome`}>
        <span className="field-label">Outcome</span>
        <select
          id={`${id}-outcome`}
          className="input"
          data-testid="activity-filter-outcome"
          value={value.outcome}
          onChange={(e) => {
            const outcome = e.target.value;
            onChange({ ...value, outcome: outcome === 'success' || outcome === 'error' ? outcome : '' });
          }}
        >
          <option value="">All outcomes</option>
          <option value="success">Success</option>
          <option value="error">Error</option>
        </select>
      </label>
    </div>
  );
}
