import { fork, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SERVER = path.join(ROOT, 'test/fixtures/vendure-server.mjs');
const PRODUCTS_CSV = path.join(ROOT, 'test/fixtures/vendure-products.csv');

export const VENDURE_ADMIN = { username: 'superadmin', password: 'superadmin' };

/** Misbehaviour of what sits in front of the Admin API (a reverse proxy); counters count down. */
export interface VendureFaults {
  status429?: number;
  retryAfterSeconds?: number;
  /** The next N Admin API calls answer a 502 HTML page. */
  html?: number;
  /** The next N product list calls (from `wrongShapeFromSkip` on) answer a shape without `items`. */
  wrongShape?: number;
  wrongShapeFromSkip?: number;
}

export interface VendureServer {
  adminApiUrl: string;
  shopApiUrl: string;
  /** Admin API call as the superadmin (its own session, logged in on first use). */
  admin<T = any>(query: string, variables?: Record<string, unknown>): Promise<T>;
  /** Shop API call; the session token is kept per `shopper` name, like a browser's cookie. */
  shop<T = any>(query: string, variables?: Record<string, unknown>, shopper?: string): Promise<T>;
  /** A customer checks out through the Shop API (dummy payment, settled at once); returns the order code. */
  checkout(lines: Array<{ variantId: string; quantity: number }>, shopper: string): Promise<string>;
  setFaults(faults: VendureFaults): Promise<void>;
  /** Changes the superadmin's password in Vendure (and the one this helper signs in with). */
  setAdminPassword(password: string): Promise<void>;
  /** Ends every session, as an expiry or a revoked login does. */
  expireSessions(): Promise<void>;
  /** The hub's mutations received since the last call (operation name and variables), oldest first. */
  takeWrites(): Promise<Array<{ operation: string; variables: any }>>;
  close(): Promise<void>;
}

/** The populated database file, keyed by what builds it; every test file copies it into its own server. */
function cacheFile(): string {
  const hash = crypto.createHash('sha1');
  for (const f of [SERVER, PRODUCTS_CSV, path.join(ROOT, 'node_modules/@vendure/core/package.json')]) hash.update(fs.readFileSync(f));
  return path.join(ROOT, 'node_modules/.cache/channelsync-test', `vendure-${hash.digest('hex').slice(0, 16)}.sqlite`);
}

let populated: Promise<string> | null = null;
function populatedDatabase(): Promise<string> {
  populated ??= (async () => {
    const file = cacheFile();
    if (fs.existsSync(file)) return file;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    // Several test processes may build it at once: each builds its own file, the rename is atomic.
    const tmp = `${file}.${process.pid}.tmp`;
    await new Promise<void>((resolve, reject) => {
      const child = fork(SERVER, ['populate', tmp], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
      let err = '';
      child.stderr!.on('data', (d) => { err += String(d); });
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`Vendure populate failed (${code}): ${err}`))));
    });
    fs.renameSync(tmp, file);
    return file;
  })();
  return populated;
}

/**
 * Starts a real Vendure 3 server (sql.js, in a child process) on a random loopback
 * port, holding the products of test/fixtures/vendure-products.csv. The populated
 * database is built once and cached in node_modules/.cache.
 *
 * @example
 * const vendure = await startVendure();
 * const { products } = await vendure.admin('{ products { totalItems } }');
 */
export async function startVendure(): Promise<VendureServer> {
  const db = await populatedDatabase();
  const child: ChildProcess = fork(SERVER, ['serve', db], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: { ...process.env, VENDURE_DISABLE_TELEMETRY: 'true' },
  });
  let stderr = '';
  child.stderr!.on('data', (d) => { stderr += String(d); });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += String(d);
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve(JSON.parse(line).port);
    });
    child.on('exit', (code) => reject(new Error(`Vendure exited (${code}) before it was ready: ${stderr}`)));
  });
  const base = `http://127.0.0.1:${port}`;
  let next = 0;
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  child.on('message', (msg: { id: number; ok: boolean; result?: unknown; error?: string }) => {
    const p = pending.get(msg.id);
    pending.delete(msg.id);
    if (msg.ok) p?.resolve(msg.result);
    else p?.reject(new Error(msg.error));
  });
  const command = (cmd: string, extra: Record<string, unknown> = {}) => new Promise<unknown>((resolve, reject) => {
    const id = ++next;
    pending.set(id, { resolve, reject });
    child.send({ id, cmd, ...extra });
  });

  const call = async (url: string, query: string, variables: Record<string, unknown> | undefined, token: string | null) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    const body = await res.json() as { data?: any; errors?: Array<{ message: string }> };
    if (body.errors?.length) throw new Error(`Vendure: ${body.errors.map((e) => e.message).join('; ')}`);
    return { data: body.data, token: res.headers.get('vendure-auth-token') };
  };
  let adminToken: string | null = null;
  let adminPassword = VENDURE_ADMIN.password;
  const login = async () => {
    const { token } = await call(`${base}/admin-api`,
      'mutation($u: String!, $p: String!) { login(username: $u, password: $p) { ... on CurrentUser { id } } }',
      { u: VENDURE_ADMIN.username, p: adminPassword }, null);
    adminToken = token;
  };
  const shopTokens = new Map<string, string>();

  const server: VendureServer = {
    adminApiUrl: `${base}/admin-api`,
    shopApiUrl: `${base}/shop-api`,
    async admin(query, variables) {
      if (!adminToken) await login();
      try {
        return (await call(`${base}/admin-api`, query, variables, adminToken)).data;
      } catch (err) {
        if (!/not currently authorized/.test(String(err))) throw err;
        await login();
        return (await call(`${base}/admin-api`, query, variables, adminToken)).data;
      }
    },
    async shop(query, variables, shopper = 'default') {
      const { data, token } = await call(`${base}/shop-api`, query, variables, shopTokens.get(shopper) ?? null);
      if (token) shopTokens.set(shopper, token);
      return data;
    },
    async checkout(lines, shopper) {
      const result = (field: string, data: any) => {
        if (data[field]?.errorCode) throw new Error(`Vendure shop ${field}: ${data[field].errorCode} ${data[field].message}`);
        return data[field];
      };
      const fields = '__typename ... on Order { id code state } ... on ErrorResult { errorCode message }';
      for (const l of lines) {
        result('addItemToOrder', await this.shop(`mutation($id: ID!, $q: Int!) { addItemToOrder(productVariantId: $id, quantity: $q) { ${fields} } }`,
          { id: l.variantId, q: l.quantity }, shopper));
      }
      result('setCustomerForOrder', await this.shop(`mutation($input: CreateCustomerInput!) { setCustomerForOrder(input: $input) { ${fields} } }`,
        { input: { firstName: 'Ana', lastName: 'Garcia', emailAddress: `${shopper}@example.com` } }, shopper));
      result('setOrderShippingAddress', await this.shop(`mutation($input: CreateAddressInput!) { setOrderShippingAddress(input: $input) { ${fields} } }`,
        { input: { fullName: 'Ana Garcia', streetLine1: '1 Main St', city: 'Springfield', postalCode: '12345', countryCode: 'US' } }, shopper));
      const { eligibleShippingMethods } = await this.shop('{ eligibleShippingMethods { id } }', {}, shopper);
      result('setOrderShippingMethod', await this.shop(`mutation($id: [ID!]!) { setOrderShippingMethod(shippingMethodId: $id) { ${fields} } }`,
        { id: [eligibleShippingMethods[0].id] }, shopper));
      result('transitionOrderToState', await this.shop(`mutation { transitionOrderToState(state: "ArrangingPayment") { ${fields} } }`, {}, shopper));
      const { eligiblePaymentMethods } = await this.shop('{ eligiblePaymentMethods { code } }', {}, shopper);
      const order = result('addPaymentToOrder', await this.shop(`mutation($input: PaymentInput!) { addPaymentToOrder(input: $input) { ${fields} } }`,
        { input: { method: eligiblePaymentMethods[0].code, metadata: {} } }, shopper));
      if (order.state !== 'PaymentSettled') throw new Error(`Vendure checkout ended in ${order.state}`);
      return order.code;
    },
    async setAdminPassword(password) {
      const { administrators } = await this.admin('{ administrators { items { id user { identifier } } } }');
      const me = administrators.items.find((a: any) => a.user.identifier === VENDURE_ADMIN.username);
      await this.admin('mutation($id: ID!, $p: String!) { updateAdministrator(input: { id: $id, password: $p }) { id } }', { id: me.id, p: password });
      adminPassword = password;
    },
    async setFaults(faults) {
      await command('faults', { faults });
    },
    async expireSessions() {
      await command('expireSessions');
    },
    async takeWrites() {
      return await command('takeWrites') as Array<{ operation: string; variables: any }>;
    },
    async close() {
      if (child.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.disconnect();
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      });
    },
  };
  return server;
}
