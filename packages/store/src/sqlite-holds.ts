/**
 * Holds on SQLite live in memory, in one registry per database file shared by every store
 * instance on it in this process. A hold exists only to stop concurrent requests from promising
 * more than a balance; on SQLite one gateway process owns the data dir, so persisting holds
 * bought nothing but a second write transaction per request (measured: about half the billing
 * cost on the hot path). A crash therefore can't leave a stale hold behind: the holds die with
 * the process that placed them. Charges, the part that must survive a crash, are written to the
 * ledger synchronously at settle. Several gateway processes share state through Postgres, whose
 * holds are rows.
 */
import { resolve } from 'node:path';

export interface MemoryHold {
  keyId: string;
  amountMicros: number;
  requestId: string;
  expiresAt: number;
  /** Set while its charge is being committed: a second settle or a release must not touch it. */
  settling: boolean;
}

export class HoldRegistry {
  readonly holds = new Map<string, MemoryHold>();
  /**
   * The committed balance of each key seen so far, kept write-through by the SQLite billing
   * store (every write to `accounts` goes through it and sets the new value). Admission is then
   * pure memory: the two point reads it used to make (key exists, balance) cost about an eighth
   * of the gateway's CPU per streamed request under `pnpm bench` (--cpu-prof), because each one
   * is its own WAL read transaction. Same single-owner premise as the holds.
   */
  readonly balances = new Map<string, number>();
  readonly #heldByKey = new Map<string, number>();

  held(keyId: string): number {
    return this.#heldByKey.get(keyId) ?? 0;
  }

  add(id: string, hold: MemoryHold): void {
    this.holds.set(id, hold);
    this.#heldByKey.set(hold.keyId, this.held(hold.keyId) + hold.amountMicros);
  }

  remove(id: string): MemoryHold | undefined {
    const hold = this.holds.get(id);
    if (hold === undefined) return undefined;
    this.holds.delete(id);
    const left = this.held(hold.keyId) - hold.amountMicros;
    if (left === 0) this.#heldByKey.delete(hold.keyId);
    else this.#heldByKey.set(hold.keyId, left);
    return hold;
  }
}

const registries = new Map<string, HoldRegistry>();

/** The registry of a database file (`:memory:` and temporary databases get their own). */
export function holdRegistryFor(dbName: string): HoldRegistry {
  if (dbName === ':memory:' || dbName === '') return new HoldRegistry();
  const key = resolve(dbName);
  let registry = registries.get(key);
  if (registry === undefined) {
    registry = new HoldRegistry();
    registries.set(key, registry);
  }
  return registry;
}
