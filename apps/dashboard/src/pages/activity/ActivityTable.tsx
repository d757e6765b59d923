/**
 * The request log: one row per attempt, newest first. A fallback's row names the model that was
 * asked for; an error row carries the gateway's message. Success is a 2xx status, as in the stats.
 */
import { CopyButton } from '../../components/CopyButton';
import type { ActivityEntry } from '../../lib/api';
import { dateTime, ms, time, tokens, usd } from '../../lib/format';

const isSuccess = (e: ActivityEntry): boolean => e.status >= 200 && e.status <= 299;

/** `req_01a22f5cd181a94dc0e3d26454cbfb3d` → `req_01a2…fb3d`. */
function shortId(id: string): string {
  return id.length <= 14 ? id : `${id.slice(0, 8)}…${id.slice(-4)}`;
}

function Row({ entry }: { entry: ActivityEntry }) {
  const ok = isSuccess(entry);
  const fallback = entry.original_model !== entry.model;
  return (
    <tr data-testid="activity-row" data-outcome={ok ? 'success' : 'error'} data-model={entry.model}>
      <td>
        <time dateTime={new Date(entry.ts).toISOString()} title={dateTime(entry.ts)}>
          {time(entry.ts)}
        </time>
      </td>
      <td>
        <span className="mono">{entry.model}</span>
        {fallback && (
          <div className="muted activity-sub" title={`Attempt ${entry.attempt}`}>
            fallback for <span className="mono">{entry.original_model}</span>
          </div>
        )}
      </td>
      <td>
        <span className="badge">{entry.provider}</span>
      </td>
      <td>
        <span className={`status ${ok ? 'status-ok' : 'status-error'}`} title={entry.error ?? undefined}>
          {entry.status} {ok ? 'ok' : 'error'}
        </span>
        {entry.error !== null && (
          <div className="error-text activity-sub activity-error" title={entry.error}>
            {entry.error}
          </div>
        )}
      </td>
      <td className="num">{ms(entry.latency_ms)}</td>
      <td className="num">{ms(entry.ttfb_ms)}</td>
      <td className="num" title={`${entry.prompt_tokens} prompt + ${entry.completion_tokens} completion tokens`}>
        {tokens(entry.prompt_tokens)} → {tokens(entry.completion_tokens)}
      </td>
      <td className="num">{usd(entry.cost_usd)}</td>
      <td>
        <span className="activity-flags">
          {entry.stream && <span className="chip">stream</span>}
          {entry.key_source === 'byok' && (
            <span className="chip" title="Served with your own provider key (BYOK)">
              your key
            </span>
          )}
          {entry.estimated && (
            <span className="chip chip-estimated" title="The upstream reported no usage: tokens were estimated">
              estimated
            </span>
          )}
        </span>
      </td>
      <td>
        <span className="activity-id">
          <code title={entry.request_id}>{shortId(entry.request_id)}</code>
          <CopyButton
            text={entry.request_id}
            label="Copy"
            ariaLabel={`Copy request id ${entry.request_id}`}
            className="btn btn-small btn-ghost"
          />
        </span>
      </td>
    </tr>
  );
}

export function ActivityTable({ entries }: { entries: ActivityEntry[] }) {
  return (
    <div className="table-wrap">
      <table data-testid="activity-table">
        <caption className="visually-hidden">Requests, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Model</th>
            <th scope="col">Provider</th>
            <th scope="col">Status</th>
            <th scope="col" className="num">
              Latency
            </th>
            <th scope="col" className="num">
              TTFB
            </th>
            <th scope="col" className="num">
              Tokens
            </th>
            <th scope="col" className="num">
              Cost
            </th>
            <th scope="col">Flags</th>
            <th scope="col">Request id</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((e) => (
            <Row key={e.id} entry={e} />
          ))}
        </tbody>
      </table>
    </div>
  );
}
