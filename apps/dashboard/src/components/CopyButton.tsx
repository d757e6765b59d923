/** Copies text to the clipboard and says so for a moment. */
import { useEffect, useState } from 'react';

export function CopyButton({
  text,
  label = 'Copy',
  className = 'btn btn-small',
  testId,
  ariaLabel,
}: {
  text: string | (() => string);
  label?: string;
  className?: string;
  testId?: string;
  /** The accessible name when the visible label alone is ambiguous ("Copy request id req_…"). */
  ariaLabel?: string;
}) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  useEffect(() => {
    if (state === 'idle') return;
    const timer = setTimeout(() => setState('idle'), 1500);
    return () => clearTimeout(timer);
  }, [state]);
  return (
    <button
      type="button"
      className={className}
      data-testid={testId}
      aria-label={ariaLabel}
      onClick={() => {
        const value = typeof text === 'function' ? text() : text;
        navigator.clipboard.writeText(value).then(
          () => setState('copied'),
          () => setState('failed'),
        );
      }}
    >
      {state === 'copied' ? 'Copied' : state === 'failed' ? 'Copy failed' : label}
    </button>
  );
}
