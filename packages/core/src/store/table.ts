/**
 * The memory store's tables: committed rows partitioned by provider, and per-transaction overlays that hold a
 * transaction's writes until it commits. Readers outside a transaction see only committed rows (so no dirty
 * reads); readers inside see the overlay over the committed rows. Stored values are never mutated in place,
 * so an overlay and the committed table may share them.
 */

const DELETED: unique symbol = Symbol('deleted');
type Change<V> = V | typeof DELETED;

export interface TableOptions<V> {
  /** A key that must be unique within a partition (null: the row takes no part). */
  unique?: (value: V) => string | null;
  /** Rows for which this holds are also kept in `tracked`, so scans over them skip the rest. */
  track?: (value: V) => boolean;
}

/** What reads need: the committed table and a transaction's overlay both offer it. */
export interface Rows<V> {
  get(partition: string, key: string): V | undefined;
  list(partition: string): V[];
}

const pk = (partition: string, key: string) => `${partition}\u0000${key}`;

export class Table<V> implements Rows<V> {
  readonly rows = new Map<string, Map<string, V>>();
  /** `partition \0 unique key` → row key. */
  private readonly index = new Map<string, string>();
  /** `partition \0 row key` → row, for the rows `track` selects. */
  readonly tracked = new Map<string, V>();

  constructor(readonly options: TableOptions<V> = {}) {}

  get(partition: string, key: string): V | undefined {
    return this.rows.get(partition)?.get(key);
  }

  list(partition: string): V[] {
    return [...(this.rows.get(partition)?.values() ?? [])];
  }

  partitions(): string[] {
    return [...this.rows.keys()];
  }

  /** The row key holding `uniqueKey` in the partition, if any. */
  holder(partition: string, uniqueKey: string): string | undefined {
    return this.index.get(pk(partition, uniqueKey));
  }

  /** Applies one committed change, keeping the unique index and the tracked set in step. */
  apply(partition: string, key: string, value: V | undefined): void {
    let part = this.rows.get(partition);
    const old = part?.get(key);
    if (old !== undefined) {
      const oldUnique = this.options.unique?.(old);
      if (oldUnique != null && this.index.get(pk(partition, oldUnique)) === key) this.index.delete(pk(partition, oldUnique));
      this.tracked.delete(pk(partition, key));
    }
    if (value === undefined) {
      part?.delete(key);
      if (part && part.size === 0) this.rows.delete(partition);
      return;
    }
    if (!part) {
      part = new Map();
      this.rows.set(partition, part);
    }
    part.set(key, value);
    const unique = this.options.unique?.(value);
    if (unique != null) this.index.set(pk(partition, unique), key);
    if (this.options.track?.(value)) this.tracked.set(pk(partition, key), value);
  }
}

/** One transaction's writes to one table, over the committed rows. */
export class TableTx<V> implements Rows<V> {
  private readonly changes = new Map<string, Map<string, Change<V>>>();

  constructor(private readonly base: Table<V>) {}

  get(partition: string, key: string): V | undefined {
    const change = this.changes.get(partition)?.get(key);
    if (change === DELETED) return undefined;
    return change ?? this.base.get(partition, key);
  }

  list(partition: string): V[] {
    const changes = this.changes.get(partition);
    if (!changes) return this.base.list(partition);
    const out: V[] = [];
    for (const [key, value] of this.base.rows.get(partition) ?? []) if (!changes.has(key)) out.push(value);
    for (const change of changes.values()) if (change !== DELETED) out.push(change);
    return out;
  }

  set(partition: string, key: string, value: V): void {
    this.part(partition).set(key, value);
  }

  delete(partition: string, key: string): boolean {
    const existed = this.get(partition, key) !== undefined;
    if (existed) this.part(partition).set(key, DELETED);
    return existed;
  }

  /** The key of a row (as this transaction sees the table) other than `except` whose unique key is `uniqueKey`. */
  findUnique(partition: string, uniqueKey: string, except: string): string | undefined {
    const unique = this.base.options.unique;
    if (!unique) return undefined;
    const changes = this.changes.get(partition);
    for (const [key, change] of changes ?? []) {
      if (key !== except && change !== DELETED && unique(change) === uniqueKey) return key;
    }
    const holder = this.base.holder(partition, uniqueKey);
    // A committed holder this transaction changed was judged by its new value in the loop above.
    if (holder !== undefined && holder !== except && !changes?.has(holder)) return holder;
    return undefined;
  }

  commit(): void {
    for (const [partition, changes] of this.changes) {
      for (const [key, change] of changes) this.base.apply(partition, key, change === DELETED ? undefined : change);
    }
    this.changes.clear();
  }

  private part(partition: string): Map<string, Change<V>> {
    let part = this.changes.get(partition);
    if (!part) {
      part = new Map();
      this.changes.set(partition, part);
    }
    return part;
  }
}
