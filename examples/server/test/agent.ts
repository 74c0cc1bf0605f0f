/** A tiny cookie-keeping HTTP client that follows redirects by hand, to sign in through the dev IdP without a browser. */
import type { Harness } from './helpers.js';

export class Agent {
  readonly cookies = new Map<string, string>();
  /** Every URL redirected to, in order (to find the authorization code, for example). */
  readonly visited: string[] = [];
  constructor(readonly base: string) {}

  cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private keep(res: Response) {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*max-age=0/i.test(a) || /^\s*expires=Thu, 01 Jan 1970/i.test(a));
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  /** One request; follows redirects (GET) unless `follow` is false. */
  async request(method: string, url: string, options: { form?: Record<string, string>; follow?: boolean; headers?: Record<string, string> } = {}): Promise<{ res: Response; text: string; url: string }> {
    let current = new URL(url, this.base).href;
    let init: RequestInit = {
      method,
      redirect: 'manual',
      headers: { cookie: this.cookieHeader(), accept: 'text/html', ...options.headers, ...(options.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      ...(options.form ? { body: new URLSearchParams(options.form).toString() } : {}),
    };
    for (let hop = 0; hop < 15; hop++) {
      const res = await fetch(current, init);
      this.keep(res);
      const location = res.headers.get('location');
      if (options.follow === false || !location || res.status < 300 || res.status >= 400) {
        return { res, text: await res.text(), url: current };
      }
      await res.arrayBuffer();
      current = new URL(location, current).href;
      this.visited.push(current);
      init = { method: 'GET', redirect: 'manual', headers: { cookie: this.cookieHeader(), accept: 'text/html' } };
    }
    throw new Error('too many redirects');
  }

  get(url: string, follow = true) {
    return this.request('GET', url, { follow });
  }

  post(url: string, form: Record<string, string>, follow = true) {
    return this.request('POST', url, { form, follow });
  }

  /** The CSRF token of the current session (from a page's hidden field). */
  async csrf(): Promise<string> {
    const me = await fetch(`${this.base}/api/v1/me`, { headers: { cookie: this.cookieHeader() } });
    return ((await me.json()) as { csrfToken: string }).csrfToken;
  }
}

/** Signs in through /auth/login and the development IdP's login form. Returns the agent and the final page. */
export async function signIn(h: Harness, username: string, password: string, returnTo = '/'): Promise<{ agent: Agent; text: string; status: number; url: string }> {
  const agent = new Agent(h.url);
  const login = await agent.get(`/auth/login?returnTo=${encodeURIComponent(returnTo)}`);
  const action = /action="([^"]*\/login)"/.exec(login.text)?.[1];
  if (!action) throw new Error(`no login form at ${login.url}: ${login.res.status} ${login.text.slice(0, 200)}`);
  const done = await agent.post(action, { username, password });
  return { agent, text: done.text, status: done.res.status, url: done.url };
}
