/**
 * Storage for the development IdP's sessions, grants and codes: a bounded in-memory map per provider
 * instance (the demo is one process; a restart just signs people out). Giving oidc-provider our own adapter
 * also keeps its "development-only adapter" warning off the demo's console.
 */
import type { Adapter, AdapterPayload } from 'oidc-provider';

interface Entry {
  payload: AdapterPayload;
  expiresAt: number;
}

const MAX_ENTRIES = 5000;

export function memoryAdapterFactory(): (model: string) => Adapter {
  const entries = new Map<string, Entry>();
  const index = new Map<string, string>(); // sessionUid:/userCode: → key; grant:<id> handled via scan
  const live = (key: string): AdapterPayload | undefined => {
    const e = entries.get(key);
    if (!e) return undefined;
    if (e.expiresAt <= Date.now()) {
      entries.delete(key);
      return undefined;
    }
    return e.payload;
  };
  const trim = () => {
    if (entries.size <= MAX_ENTRIES) return;
    const now = Date.now();
    for (const [k, e] of entries) if (e.expiresAt <= now) entries.delete(k);
    while (entries.size > MAX_ENTRIES) entries.delete(entries.keys().next().value as string);
  };
  return (model: string): Adapter => {
    const key = (id: string) => `${model}:${id}`;
    return {
      async upsert(id, payload, expiresIn) {
        entries.set(key(id), { payload, expiresAt: Date.now() + expiresIn * 1000 });
        if (model === 'Session' && payload.uid) index.set(`sessionUid:${payload.uid}`, key(id));
        if (payload.userCode) index.set(`userCode:${payload.userCode}`, key(id));
        trim();
      },
      async find(id) {
        return live(key(id));
      },
      async findByUid(uid) {
        const k = index.get(`sessionUid:${uid}`);
        return k ? live(k) : undefined;
      },
      async findByUserCode(userCode) {
        const k = index.get(`userCode:${userCode}`);
        return k ? live(k) : undefined;
      },
      async consume(id) {
        const p = live(key(id));
        if (p) p.consumed = Math.floor(Date.now() / 1000);
      },
      async destroy(id) {
        entries.delete(key(id));
      },
      async revokeByGrantId(grantId) {
        for (const [k, e] of entries) if (e.payload.grantId === grantId) entries.delete(k);
      },
    };
  };
}
