/**
 * Keys (admin only; App gates the route): every key with its usage, balance and limits; create
 * (the secret shown once), rename in place, top up, and revoke after a confirmation dialog.
 */
import { Fragment, useMemo, useState } from 'react';
import { Empty, ErrorBox, Loading } from '../components/States';
import type { KeyInfo } from '../lib/api';
import { TopUpForm } from './credits/TopUpForm';
import { CreateKeyForm } from './keys/CreateKeyForm';
import { isRevoked, KeyRow } from './keys/KeyRow';
import { useKeys, useRevokeKey } from './keys/queries';
import { RevokeDialog } from './keys/RevokeDialog';
import { SecretPanel } from './keys/SecretPanel';
import './Keys.css';

const COLUMNS = 9;

export default function Keys() {
  const keys = useKeys();
  const revoke = useRevokeKey();
  const [created, setCreated] = useState<{ name: string; secret: string } | undefined>();
  const [revoking, setRevoking] = useState<KeyInfo | undefined>();
  const [toppingUp, setToppingUp] = useState<string | undefined>();

  // Newest first, revoked keys after the live ones.
  const rows = useMemo(
    () =>
      [...(keys.data ?? [])].sort(
        (a, b) => Number(isRevoked(a)) - Number(isRevoked(b)) || (b.created_at ?? 0) - (a.created_at ?? 0),
      ),
    [keys.data],
  );

  return (
    <section className="keys-page" aria-labelledby="keys-title">
      <div className="page-head">
        <h1 id="keys-title">Keys</h1>
        <p className="muted">Create, rename, top up and revoke API keys.</p>
      </div>

      {created !== undefined && (
        <SecretPanel name={created.name} secret={created.secret} onDone={() => setCreated(undefined)} />
      )}

      <CreateKeyForm onCreated={setCreated} />

      <section className="stack keys-list" aria-labelledby="keys-list-title">
        <h2 id="keys-list-title">All keys</h2>
        {keys.isPending && <Loading label="Loading keys…" />}
        {keys.isError && <ErrorBox error={keys.error} onRetry={() => void keys.refetch()} />}
        {keys.isSuccess && rows.length === 0 && (
          <Empty title="No keys yet">Create the first one above, then hand its secret to whoever will use it.</Empty>
        )}
        {rows.length > 0 && (
          <div className="table-wrap">
            <table data-testid="keys-table">
              <thead>
                <tr>
                  <th scope="col">Prefix</th>
                  <th scope="col">Name</th>
                  <th scope="col">Created</th>
                  <th scope="col">Last used</th>
                  <th scope="col" className="num">
                    Requests
                  </th>
                  <th scope="col" className="num">
                    Balance
                  </th>
                  <th scope="col">Limits</th>
                  <th scope="col">Status</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows.map((info) => (
                  <Fragment key={info.id}>
                    <KeyRow
                      info={info}
                      toppingUp={toppingUp === info.id}
                      onTopUp={(k) => setToppingUp(toppingUp === k.id ? undefined : k.id)}
                      onRevoke={(k) => {
                        revoke.reset();
                        setRevoking(k);
                      }}
                    />
                    {toppingUp === info.id && (
                      <tr className="key-topup-row">
                        <td colSpan={COLUMNS}>
                          <TopUpForm
                            keyId={info.id}
                            keyName={info.name}
                            autoFocus
                            onDone={() => setToppingUp(undefined)}
                          />
                        </td>
                      </tr>
                    )}
                  </Fragment>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <RevokeDialog
        target={revoking}
        pending={revoke.isPending}
        error={revoke.error}
        onCancel={() => setRevoking(undefined)}
        onConfirm={(k) =>
          revoke.mutate(k.id, {
            onSuccess: () => {
              setRevoking(undefined);
              if (toppingUp === k.id) setToppingUp(undefined);
            },
          })
        }
      />
    </section>
  );
}
