/**
 * The prompt box: a labelled textarea where Enter sends and Shift+Enter starts a new line, Send,
 * and Stop while an answer streams. The lock line under it says how prompts travel.
 */
import { useId, type Ref } from 'react';
import { ChannelNote } from './ChannelNote';
import './Composer.css';

export function Composer({
  value,
  onChange,
  onSend,
  onStop,
  busy,
  canSend,
  label,
  placeholder,
  stopLabel = 'Stop',
  testIds,
  inputRef,
}: {
  value: string;
  onChange: (text: string) => void;
  onSend: () => void;
  onStop: () => void;
  busy: boolean;
  /** False when there is nothing to send to (no model yet, or the channel failed). */
  canSend: boolean;
  label: string;
  placeholder: string;
  stopLabel?: string;
  testIds: { input: string; send: string; stop: string };
  inputRef?: Ref<HTMLTextAreaElement>;
}) {
  const id = useId();
  const ready = canSend && !busy && value.trim() !== '';
  return (
    <form
      className="composer"
      onSubmit={(e) => {
        e.preventDefault();
        if (ready) onSend();
      }}
    >
      <label htmlFor={id} className="visually-hidden">
        {label}
      </label>
      <textarea
        id={id}
        ref={inputRef}
        className="input composer-input"
        data-testid={testIds.input}
        placeholder={placeholder}
        rows={2}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        onKeyDown={(e) => {
          if (e.key !== 'Enter' || e.shiftKey || e.nativeEvent.isComposing) return;
          e.preventDefault();
          if (ready) onSend();
        }}
      />
      <div className="composer-actions">
        <ChannelNote />
        {busy ? (
          <button type="button" className="btn btn-danger" data-testid={testIds.stop} onClick={onStop}>
            {stopLabel}
          </button>
        ) : (
          <button type="submit" className="btn btn-primary" data-testid={testIds.send} disabled={!ready}>
            Send
          </button>
        )}
      </div>
    </form>
  );
}
