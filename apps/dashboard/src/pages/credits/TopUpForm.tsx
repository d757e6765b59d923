/**
 * Adds credit to a key: the admin's for any key (`keyId`), a user key's for itself when the
 * operator allows self top-up. The amount is checked here first; the gateway's refusal is shown
 * beside the field.
 */
import { useId, useState, type FormEvent } from 'react';
import { describeError } from '../../lib/api';
import { usd } from '../../lib/format';
import { amountProblem } from './amount';
import { useTopUp } from './queries';
import './TopUpForm.css';

export function TopUpForm({
  keyId,
  keyName,
  onDone,
  autoFocus = false,
}: {
  /** The key to credit; omitted for the caller's own. */
  keyId?: string;
  keyName?: string;
  onDone?: () => void;
  autoFocus?: boolean;
}) {
  const id = useId();
  const [amount, setAmount] = useState('');
  const [problem, setProblem] = useState<string | undefined>();
  const [added, setAdded] = useState<{ amount: string; balance: string } | undefined>();
  const topup = useTopUp();

  const submit = (e: FormEvent): void => {
    e.preventDefault();
    const wrong = amountProblem(amount);
    setProblem(wrong);
    setAdded(undefined);
    if (wrong !== undefined) return;
    const value = amount.trim();
    topup.mutate(
      { amount_usd: value, ...(keyId === undefined ? {} : { key_id: keyId }) },
      {
        onSuccess: (res) => {
          setAdded({ amount: value, balance: res.balance_usd });
          setAmount('');
        },
      },
    );
  };

  const error = problem ?? (topup.isError ? describeError(topup.error) : undefined);
  return (
    <form className="topup-form" onSubmit={submit} noValidate data-testid="topup-form">
      <div className="topup-fields">
        <label className="field" htmlFor={`${id}-amount`}>
          <span className="field-label">
            {keyName === undefined ? 'Add credit (USD)' : `Add credit to ${keyName} (USD)`}
          </span>
          <input
            id={`${id}-amount`}
            className="input"
            inputMode="decimal"
            autoComplete="off"
            placeholder="10.00"
            data-testid="topup-amount"
            value={amount}
            autoFocus={autoFocus}
            aria-invalid={error === undefined ? undefined : true}
            aria-describedby={error === undefined ? undefined : `${id}-error`}
            onChange={(e) => setAmount(e.target.value)}
          />
        </label>
        <button type="submit" className="btn btn-primary" data-testid="topup-submit" disabled={topup.isPending}>
          {topup.isPending ? 'Adding…' : 'Add credit'}
        </button>
        {onDone !== undefined && (
          <button type="button" className="btn" onClick={onDone}>
            Close
          </button>
        )}
      </div>
      {error !== undefined && (
        <p id={`${id}-error`} className="error-text" role="alert" data-testid="topup-error">
          {error}
        </p>
      )}
      {added !== undefined && (
        <p className="topup-done" role="status" data-testid="topup-done">
          Added {usd(added.amount)}. New balance: {usd(added.balance)}.
        </p>
      )}
    </form>
  );
}
