/**
 * The model's reasoning (`reasoning_content`) as a foldable block: open while the reasoning
 * streams, folded by itself once the answer starts, and opened or folded again by the user.
 */
import { useId, useState } from 'react';

export function ThinkingBlock({ reasoning, thinking }: { reasoning: string; thinking: boolean }) {
  const [open, setOpen] = useState(thinking);
  const [wasThinking, setWasThinking] = useState(thinking);
  // Follow the stream's phase when it changes (reasoning started or ended); the user decides in between.
  if (wasThinking !== thinking) {
    setWasThinking(thinking);
    setOpen(thinking);
  }
  const bodyId = useId();
  return (
    <div className="thinking" data-testid="thinking-block" data-open={open ? 'true' : 'false'}>
      <button
        type="button"
        className="thinking-toggle"
        aria-expanded={open}
        aria-controls={bodyId}
        onClick={() => setOpen(!open)}
      >
        <span aria-hidden="true" className="thinking-caret">
          {open ? '▾' : '▸'}
        </span>
        {thinking ? 'Thinking…' : 'Thoughts'}
        {thinking && <span className="spinner" aria-hidden="true" />}
      </button>
      <div id={bodyId} className="thinking-body" hidden={!open}>
        {reasoning}
      </div>
    </div>
  );
}
