/**
 * API keys: `ppk_<id>_<secret>`, where `id` (12 hex) names the key in logs and lists and `secret`
 * is 32 random bytes (base64url). The table keeps sha256(whole key) only; the secret is shown
 * once, when the key is made.
 */
import { createHash, randomBytes } from 'node:crypto';
import { PartprintError } from '../core/index.js';
import type { KeysRepository } from './keys.repository.js';
import { isRole, type Role } from './roles.js';
import type { ApiKeyRow } from './tables.js';

export interface ApiKey {
  id: string;
  name: string;
  role: Role;
  ratePerSecond: number | null;
  createdAt: string;
  createdBy: string | null;
  revokedAt: string | null;
}

export interface NewApiKey {
  key: ApiKey;
  /** The full key to send as `Authorization: Bearer <secret>`; not stored, shown once. */
  secret: string;
}

/** Who made a request: the key's id and name, used as `recorded_by` / `actor` on writes. */
export interface Principal {
  keyId: string;
  name: string;
  role: Role;
  ratePerSecond: number | null;
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

function toKey(row: ApiKeyRow): ApiKey {
  return {
    id: row.id,
    name: row.name,
    role: row.role as Role,
    ratePerSecond: row.rate_per_s,
    createdAt: row.created_at,
    createdBy: row.created_by,
    revokedAt: row.revoked_at,
  };
}

const CACHE_MS = 5_000;

export class KeysService {
  private readonly cache = new Map<string, { principal: Principal | null; until: number }>();

  constructor(private readonly repo: KeysRepository) {}

  /**
   * Makes a key. `secret` may be given (bootstrap from PARTPRINT_ADMIN_KEY); else one is drawn.
   *
   * @example
   *   const { secret } = await keys.create({ role: 'inspector', name: 'line 3 tablet' });
   */
  async create(input: { role: string; name: string; createdBy?: string | null; ratePerSecond?: number | null; secret?: string }): Promise<NewApiKey> {
    if (!isRole(input.role)) throw new PartprintError(`unknown role "${input.role}" (use admin, operator, inspector or viewer)`, { code: 'BAD_INPUT' });
    const name = input.name.trim();
    if (name.length === 0 || name.length > 200) throw new PartprintError('key name must be 1 to 200 characters', { code: 'BAD_INPUT' });
    if (input.secret !== undefined && input.secret.length < 16) {
      throw new PartprintError('an API key given from outside must be at least 16 characters', { code: 'BAD_INPUT' });
    }
    const id = randomBytes(6).toString('hex');
    const secret = input.secret ?? `ppk_${id}_${randomBytes(32).toString('base64url')}`;
    const row: ApiKeyRow = {
      id,
      name,
      role: input.role,
      secret_hash: hashSecret(secret),
      rate_per_s: input.ratePerSecond ?? null,
      created_at: new Date().toISOString(),
      created_by: input.createdBy ?? null,
      revoked_at: null,
    };
    try {
      await this.repo.insert(row);
    } catch (err) {
      throw new PartprintError('could not store the API key (is this secret already in use?)', { code: 'CONFLICT', cause: err });
    }
    return { key: toKey(row), secret };
  }

  /** The principal for a presented secret, or null when the key is unknown or revoked. */
  async authenticate(secret: string): Promise<Principal | null> {
    const hash = hashSecret(secret);
    const now = Date.now();
    const hit = this.cache.get(hash);
    if (hit && hit.until > now) return hit.principal;
    const row = await this.repo.findByHash(hash);
    const principal = row && row.revoked_at === null && isRole(row.role) ? { keyId: row.id, name: row.name, role: row.role, ratePerSecond: row.rate_per_s } : null;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(hash, { principal, until: now + CACHE_MS });
    return principal;
  }

  async list(): Promise<ApiKey[]> {
    return (await this.repo.list()).map(toKey);
  }

  async revoke(id: string): Promise<ApiKey> {
    const ok = await this.repo.revoke(id, new Date().toISOString());
    const row = await this.repo.get(id);
    if (!row) throw new PartprintError(`no API key with id "${id}"`, { code: 'NOT_FOUND' });
    if (!ok && row.revoked_at === null) throw new PartprintError(`API key "${id}" could not be revoked`, { code: 'INTERNAL' });
    this.cache.clear();
    return toKey(row);
  }

  async countActive(): Promise<number> {
    return this.repo.countActive();
  }

  /**
   * On an empty key table: stores `envSecret` (PARTPRINT_ADMIN_KEY) as an admin key, or makes a
   * new admin key and returns its secret so `serve` can print it once. Null when keys exist.
   */
  async bootstrap(envSecret?: string): Promise<{ secret: string | null; key: ApiKey } | null> {
    if ((await this.countActive()) > 0) return null;
    if (envSecret !== undefined && envSecret !== '') {
      const made = await this.create({ role: 'admin', name: 'bootstrap admin (PARTPRINT_ADMIN_KEY)', secret: envSecret });
      return { secret: null, key: made.key };
    }
    const made = await this.create({ role: 'admin', name: 'bootstrap admin' });
    return { secret: made.secret, key: made.key };
  }
}
