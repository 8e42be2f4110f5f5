/**
 * Users and passwords checked against stored scrypt hashes (Node's crypto.scrypt, a random salt per user, a
 * constant-time compare). Store only `await hashPassword(password)`; the connecting side sends
 * `{ user, password }`, so use it over TLS.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type { Authenticator, Identity } from './authenticator.js';

const COST: ScryptOptions = { N: 16_384, r: 8, p: 1 };
const KEY_LENGTH = 32;

export interface PasswordUser {
  /** From `hashPassword`: `scrypt$<N>$<r>$<p>$<salt base64>$<hash base64>`. */
  hash: string;
  roles?: readonly string[];
}

/** A hash to store for `password`. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, COST);
  return ['scrypt', COST.N, COST.r, COST.p, salt.toString('base64'), key.toString('base64')].join('$');
}

/** Lets in a peer whose `{ user, password }` matches its stored hash. */
export function passwordAuthenticator(users: Readonly<Record<string, PasswordUser>>): Authenticator {
  const decoy = parseHash(['scrypt', COST.N, COST.r, COST.p, Buffer.alloc(16).toString('base64'), Buffer.alloc(KEY_LENGTH).toString('base64')].join('$'))!;
  return async ({ user = '', password = '' }) => {
    const entry = Object.hasOwn(users, user) ? users[user] : undefined;
    const stored = entry ? parseHash(entry.hash) : undefined;
    // An unknown user costs the same scrypt as a known one, so that timing does not say which users exist.
    const { salt, key, options } = stored ?? decoy;
    const candidate = await derive(password, salt, options);
    if (!entry || !stored || !timingSafeEqual(candidate, key)) return { refused: 'bad user or password' };
    const identity: Identity = entry.roles ? { user, roles: entry.roles } : { user };
    return { identity };
  };
}

function parseHash(hash: string): { salt: Buffer; key: Buffer; options: ScryptOptions } | undefined {
  const [scheme, n, r, p, salt, key] = hash.split('$');
  if (scheme !== 'scrypt' || !salt || !key) return undefined;
  return { salt: Buffer.from(salt, 'base64'), key: Buffer.from(key, 'base64'), options: { N: Number(n), r: Number(r), p: Number(p) } };
}

function derive(password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFC'), salt, KEY_LENGTH, { ...options, maxmem: 64 * 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}
