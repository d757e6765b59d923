/** The lock line under a prompt box: whether prompts leave sealed (EHBP) or plain, or why nothing is sent. */
import { describeError } from '../../lib/api';
import { useChannel } from './use-channel';

function LockIcon({ open }: { open: boolean }) {
  return (
    <svg className="channel-lock" viewBox="0 0 16 16" width="12" height="12" aria-hidden="true" focusable="false">
      <rect x="3" y="7" width="10" height="8" rx="1.5" fill="currentColor" />
      <path
        d={open ? 'M5 7V4.5a3 3 0 0 1 5.8-1' : 'M5 7V4.5a3 3 0 0 1 6 0V7'}
        fill="none"
        stroke="currentColor"
        strokeWidth="1.6"
      />
    </svg>
  );
}

export function ChannelNote() {
  const channel = useChannel();
  if (channel.isPending) {
    return (
      <p className="channel-note" data-testid="channel-note" data-sealed="pending">
        Checking the gateway before sending…
      </p>
    );
  }
  if (channel.isError) {
    return (
      <p className="channel-note error-text" role="alert" data-testid="channel-note" data-sealed="failed">
        The gateway failed verification, so no prompt is sent: {describeError(channel.error)}
      </p>
    );
  }
  const { sealed, label } = channel.data;
  return (
    <p
      className={`channel-note${sealed ? ' channel-note-sealed' : ''}`}
      data-testid="channel-note"
      data-sealed={sealed ? 'true' : 'false'}
    >
      <LockIcon open={!sealed} />
      {label}
    </p>
  );
}
