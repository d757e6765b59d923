/**
 * Creates a key: a name, optional initial credit and optional rate / concurrency limits. The
 * gateway's 400s name the field (`param`), so its message is shown beside that field.
 */
import { useId, useState, type FormEvent } from 'react';
import { ApiError, describeError } from '../../lib/api';
import { amountProblem } from '../credits/amount';
import { useCreateKey, type NewKey } from './queries';

type Field = 'name' | 'credit_usd' | 'limits.rpm' | 'limits.concurrency';

const FIELDS: readonly Field[] = ['name', 'credit_usd', 'limits.rpm', 'limits.concurrency'];

const isField = (param: string | undefined): param is Field => FIELDS.some((f) => f === param);

/** The limits typed in: a blank field is no limit; anything else goes to the gateway, which judges it. */
function limitsFrom(rpm: string, concurrency: string): NewKey['limits'] {
  const limits: NonNullable<NewKey['limits']> = {};
  if (rpm.trim() !== '') limits.rpm = Number(rpm);
  if (concurrency.trim() !== '') limits.concurrency = Number(concurrency);
  return Object.keys(limits).length === 0 ? undefined : limits;
}

export function CreateKeyForm({ onCreated }: { onCreated: (created: { name: string; secret: string }) => void }) {
  const id = useId();
  const [name, setName] = useState('');
  const [credit, setCredit] = useState('');
  const [rpm, setRpm] = useState('');
  const [concurrency, setConcurrency] = useState('');
  const [local, setLocal] = useState<{ field: Field; message: string } | undefined>();
  const create = useCreateKey();

  const submit = (e: FormEvent): void => {
    e.preventDefault();
    setLocal(undefined);
    if (name.trim() === '') return setLocal({ field: 'name', message: 'Give the key a name.' });
    const creditProblem = credit.trim() === '' ? undefined : amountProblem(credit, { allowZero: true });
    if (creditProblem !== undefined) return setLocal({ field: 'credit_usd', message: creditProblem });
    const limits = limitsFrom(rpm, concurrency);
    const body: NewKey = {
      name: name.trim(),
      ...(credit.trim() === '' ? {} : { credit_usd: credit.trim() }),
      ...(limits === undefined ? {} : { limits }),
    };
    create.mutate(body, {
      onSuccess: (created) => {
        onCreated({ name: created.name, secret: created.key });
        // The secret now lives only in the page's panel, not in the mutation's cache.
        create.reset();
        setName('');
        setCredit('');
        setRpm('');
        setConcurrency('');
      },
    });
  };

  const apiError = create.error;
  const apiField = apiError instanceof ApiError && isField(apiError.param) ? apiError.param : undefined;
  const fieldError =
    local ?? (apiField === undefined ? undefined : { field: apiField, message: describeError(apiError) });
  const formError =
    local === undefined && apiError !== null && apiField === undefined ? describeError(apiError) : undefined;
  const errorId = `${id}-error`;
  const invalid = (field: Field) =>
    fieldError?.field === field ? { 'aria-invalid': true, 'aria-describedby': errorId } : {};

  return (
    <form className="card key-create" onSubmit={submit} noValidate aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Create a key</h2>
      <div className="key-create-fields">
        <label className="field field-wide" htmlFor={`${id}-name`}>
          <span className="field-label">Name</span>
          <input
            id={`${id}-name`}
            className="input"
            data-testid="key-create-name"
            maxLength={100}
            autoComplete="off"
            placeholder="e.g. staging app"
            value={name}
            onChange={(e) => setName(e.target.value)}
            {...invalid('name')}
          />
        </label>
        <label className="field" htmlFor={`${id}-credit`}>
          <span className="field-label">Initial credit (USD)</span>
          <input
            id={`${id}-credit`}
            className="input"
            data-testid="key-create-credit"
            inputMode="decimal"
            autoComplete="off"
            placeholder="0.00"
            value={credit}
            onChange={(e) => setCredit(e.target.value)}
            {...invalid('credit_usd')}
          />
        </label>
        <label className="field" htmlFor={`${id}-rpm`}>
          <span className="field-label">Requests / min (optional)</span>
          <input
            id={`${id}-rpm`}
            className="input"
            type="number"
            min={1}
            step={1}
            data-testid="key-create-rpm"
            placeholder="no limit"
            value={rpm}
            onChange={(e) => setRpm(e.target.value)}
            {...invalid('limits.rpm')}
          />
        </label>
        <label className="field" htmlFor={`${id}-concurrency`}>
          <span className="field-label">Concurrent (optional)</span>
          <input
            id={`${id}-concurrency`}
            className="input"
            type="number"
            min={1}
            step={1}
            data-testid="key-create-concurrency"
            placeholder="no limit"
            value={concurrency}
            onChange={(e) => setConcurrency(e.target.value)}
            {...invalid('limits.concurrency')}
          />
        </label>
        <button type="submit" className="btn btn-primary" data-testid="key-create-submit" disabled={create.isPending}>
          {create.isPending ? 'Creating…' : 'Create key'}
        </button>
      </div>
      {(fieldError !== undefined || formError !== undefined) && (
        <p id={errorId} className="error-text" role="alert" data-testid="key-create-error">
          {fieldError?.message ?? formError}
        </p>
      )}
    </form>
  );
}
