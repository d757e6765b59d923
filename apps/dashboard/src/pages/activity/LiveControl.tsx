/** Pause / resume polling, and when the data on screen was last fetched. */
import { time } from '../../lib/format';

export function LiveControl({
  live,
  onToggle,
  updatedAt,
  fetching,
}: {
  live: boolean;
  onToggle: () => void;
  /** Epoch ms of the last successful fetch, 0 before the first. */
  updatedAt: number;
  fetching: boolean;
}) {
  return (
    <div className="live-control">
      <span className={`live-dot${live ? ' live-dot-on' : ''}`} aria-hidden="true" />
      <span className="muted" data-testid="activity-updated">
        {live ? 'Live' : 'Paused'}
        {updatedAt > 0 && <> · updated {time(updatedAt)}</>}
        {fetching && <span className="visually-hidden"> (refreshing)</span>}
      </span>
      <button
        type="button"
        className="btn btn-small"
        aria-pressed={!live}
        data-testid="activity-pause"
        title={live ? 'Stop refreshing every 5 seconds' : 'Refresh now and every 5 seconds'}
        onClick={onToggle}
      >
        {live ? 'Pause' : 'Resume'}
      </button>
    </div>
  );
}
