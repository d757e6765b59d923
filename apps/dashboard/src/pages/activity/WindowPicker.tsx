/** The stats window: last hour, day or week, as a group of toggle buttons. */
import { WINDOWS, type WindowId } from './queries';

export function WindowPicker({ value, onChange }: { value: WindowId; onChange: (window: WindowId) => void }) {
  return (
    <div className="tabs window-picker" role="group" aria-label="Time window">
      {WINDOWS.map((w) => (
        <button
          key={w.id}
          type="button"
          className={`tab${value === w.id ? ' tab-active' : ''}`}
          aria-pressed={value === w.id}
          title={`Last ${w.label}`}
          data-testid="window-option"
          data-window={w.id}
          onClick={() => onChange(w.id)}
        >
          {w.id}
          <span className="visually-hidden"> (last {w.label})</span>
        </button>
      ))}
    </div>
  );
}
