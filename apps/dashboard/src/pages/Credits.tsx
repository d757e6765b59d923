/**
 * Credits: a key's balance, usage and spend, and top-ups where allowed. A user key sees its own;
 * the admin key has no balance, so the admin first picks a key (kept in the URL as `?key_id=`).
 */
import { useSearchParams } from 'react-router';
import { Empty } from '../components/States';
import { useSignedIn } from '../session';
import { CreditsView } from './credits/CreditsView';
import { KeyChooser } from './credits/KeyChooser';
import { useKeys } from './keys/queries';
import './Credits.css';

export default function Credits() {
  const { isAdmin } = useSignedIn();
  const keys = useKeys(isAdmin);
  const [params, setParams] = useSearchParams();
  const chosen = params.get('key_id') ?? '';
  const info = keys.data?.find((k) => k.id === chosen);
  return (
    <section className="credits-page" aria-labelledby="credits-title">
      <div className="page-head">
        <h1 id="credits-title">Credits</h1>
        <p className="muted">
          {isAdmin ? 'Balances and top-ups for any key.' : 'Your balance, what you spent it on, and how to add more.'}
        </p>
      </div>
      {isAdmin ? (
        <>
          <KeyChooser
            keys={keys}
            value={chosen}
            onChange={(id) => setParams(id === '' ? {} : { key_id: id }, { replace: true })}
          />
          {chosen === '' ? (
            <Empty title="Choose a key">The admin key has no balance of its own: pick the key to see and top up.</Empty>
          ) : (
            <CreditsView key={chosen} keyId={chosen} keyName={info?.name} revoked={info?.revoked_at != null} />
          )}
        </>
      ) : (
        <CreditsView keyId={undefined} />
      )}
    </section>
  );
}
