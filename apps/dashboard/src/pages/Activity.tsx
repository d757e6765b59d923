/**
 * Activity: what this key (or, for the admin, every key) sent through the gateway. Totals and
 * charts over a window from `GET /v1/activity/stats`, the request log from `GET /v1/activity`
 * with filters and "load more"; both refresh every 5 s until paused.
 */
import { useMemo, useState } from 'react';
import { Link } from 'react-router';
import { Empty, ErrorBox, Loading } from '../components/States';
import { useModels } from '../lib/queries';
import { ActivityCharts } from './activity/ActivityCharts';
import { ActivityFilters } from './activity/ActivityFilters';
import { ActivityTable } from './activity/ActivityTable';
import { LiveControl } from './activity/LiveControl';
import { NO_FILTER, useActivity, useActivityStats, type ActivityFilter, type WindowId } from './activity/queries';
import { BreakdownTable, StatCards } from './activity/StatsPanel';
import { WindowPicker } from './activity/WindowPicker';
import './Activity.css';

function sortedUnique(values: Iterable<string>): string[] {
  return [...new Set(values)].filter((v) => v !== '').sort();
}

export default function Activity() {
  const [live, setLive] = useState(true);
  const [span, setSpan] = useState<WindowId>('24h');
  const [filter, setFilter] = useState<ActivityFilter>(NO_FILTER);
  const list = useActivity(filter, live);
  const stats = useActivityStats(span, { model: filter.model, provider: filter.provider }, live);
  const models = useModels();

  const entries = useMemo(() => list.data?.pages.flatMap((p) => p.data) ?? [], [list.data]);
  const modelOptions = useMemo(
    () =>
      sortedUnique([
        ...(models.data ?? []).map((m) => m.id),
        ...entries.flatMap((e) => [e.model, e.original_model]),
        filter.model,
      ]),
    [models.data, entries, filter.model],
  );
  const providerOptions = useMemo(
    () =>
      sortedUnique([...(models.data ?? []).map((m) => m.provider), ...entries.map((e) => e.provider), filter.provider]),
    [models.data, entries, filter.provider],
  );

  const filtered = filter.model !== '' || filter.provider !== '' || filter.outcome !== '';
  const noActivity = list.isSuccess && entries.length === 0 && !filtered;
  const updatedAt = Math.max(list.dataUpdatedAt, stats.dataUpdatedAt);

  const toggleLive = (): void => {
    if (!live) {
      void list.refetch();
      void stats.refetch();
    }
    setLive(!live);
  };

  return (
    <section className="activity-page" aria-labelledby="activity-title">
      <div className="page-head activity-head">
        <div>
          <h1 id="activity-title">Activity</h1>
          <p className="muted">Every request, its outcome, latency and cost.</p>
        </div>
        <LiveControl
          live={live}
          onToggle={toggleLive}
          updatedAt={updatedAt}
          fetching={list.isFetching || stats.isFetching}
        />
      </div>

      {noActivity ? (
        <Empty title="No activity yet">
          Requests made with this key show up here within seconds. <Link to="/chat">Try the chat</Link> to send your
          first one.
        </Empty>
      ) : (
        <>
          <section className="stack activity-section" aria-labelledby="activity-overview">
            <div className="section-head">
              <h2 id="activity-overview">Overview</h2>
              <WindowPicker value={span} onChange={setSpan} />
            </div>
            {stats.isPending && <Loading label="Loading stats…" />}
            {stats.isError && <ErrorBox error={stats.error} onRetry={() => void stats.refetch()} />}
            {stats.isSuccess && (
              <>
                <StatCards stats={stats.data} />
                <ActivityCharts stats={stats.data} />
                <div className="activity-breakdowns">
                  <BreakdownTable title="Model" rows={stats.data.by_model} testId="stats-by-model" />
                  <BreakdownTable title="Provider" rows={stats.data.by_provider} testId="stats-by-provider" />
                </div>
              </>
            )}
          </section>

          <section className="stack activity-section" aria-labelledby="activity-requests">
            <div className="section-head">
              <h2 id="activity-requests">Requests</h2>
            </div>
            <ActivityFilters value={filter} onChange={setFilter} models={modelOptions} providers={providerOptions} />
            {list.isPending && <Loading label="Loading requests…" />}
            {list.isError && <ErrorBox error={list.error} onRetry={() => void list.refetch()} />}
            {list.isSuccess && entries.length === 0 && (
              <Empty title="No requests match">
                <button type="button" className="btn btn-small" onClick={() => setFilter(NO_FILTER)}>
                  Clear the filters
                </button>
              </Empty>
            )}
            {entries.length > 0 && <ActivityTable entries={entries} />}
            {list.hasNextPage && (
              <div className="row">
                <button
                  type="button"
                  className="btn"
                  data-testid="activity-load-more"
                  disabled={list.isFetchingNextPage}
                  onClick={() => void list.fetchNextPage()}
                >
                  {list.isFetchingNextPage ? 'Loading…' : 'Load more'}
                </button>
              </div>
            )}
          </section>
        </>
      )}
    </section>
  );
}
