/**
 * One key in the table: prefix, name (renamable), dates, usage, balance, limits and status, with
 * Top up and Revoke for live keys. A revoked key is greyed and has no actions.
 */
import type { KeyInfo } from '../../lib/api';
import { dateTime, usd } from '../../lib/format';
import { KeyName } from './KeyName';

function limitsText(limits: KeyInfo['limits']): string {
  const parts = [
    limits.rpm === null ? undefined : `${limits.rpm.toLocaleString('en-US')} rpm`,
    limits.concurrency === null ? undefined : `${limits.concurrency.toLocaleString('en-US')} concurrent`,
  ].filter((p) => p !== undefined);
  return parts.length === 0 ? 'none' : parts.join(' · ');
}

export const isRevoked = (info: KeyInfo): boolean => info.revoked_at !== null && info.revoked_at !== undefined;

export function KeyRow({
  info,
  toppingUp,
  onTopUp,
  onRevoke,
}: {
  info: KeyInfo;
  toppingUp: boolean;
  onTopUp: (info: KeyInfo) => void;
  onRevoke: (info: KeyInfo) => void;
}) {
  const revoked = isRevoked(info);
  const live = !revoked && info.role !== 'admin';
  return (
    <tr
      data-testid="key-row"
      data-key-id={info.id}
      data-status={revoked ? 'revoked' : 'active'}
      className={revoked ? 'key-revoked' : undefined}
    >
      <td>
        <code>{info.prefix ?? '—'}</code>
      </td>
      <td>
        <KeyName info={info} editable={live} />
      </td>
      <td>{dateTime(info.created_at)}</td>
      <td>{info.last_used_at === null || info.last_used_at === undefined ? 'never' : dateTime(info.last_used_at)}</td>
      <td className="num">{(info.request_count ?? 0).toLocaleString('en-US')}</td>
      <td className="num" data-testid="key-balance">
        {usd(info.balance_usd)}
      </td>
      <td>{limitsText(info.limits)}</td>
      <td>
        <span className={`status ${revoked ? 'status-waiting' : 'status-ok'}`} data-testid="key-status">
          {revoked ? 'revoked' : 'active'}
        </span>
      </td>
      <td>
        {live && (
          <span className="key-actions">
            <button
              type="button"
              className="btn btn-small"
              aria-label={`Top up ${info.name}`}
              aria-expanded={toppingUp}
              data-testid="key-topup"
              onClick={() => onTopUp(info)}
            >
              Top up
            </button>
            <button
              type="button"
              className="btn btn-small btn-danger"
              aria-label={`Revoke ${info.name}`}
              data-testid="key-revoke"
              onClick={() => onRevoke(info)}
            >
              Revoke
            </button>
          </span>
        )}
      </td>
    </tr>
  );
}
