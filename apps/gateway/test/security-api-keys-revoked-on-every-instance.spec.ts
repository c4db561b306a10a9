import { Gateway } from '../src/gateway';
import { seedAcme, Stack, startStack } from './stack';
import { ADMIN_KEY, Call, caller, createKey, envOf, gatewayOn, json } from './security-kit';

describe('API keys: created by an admin, shown once, stored as a keyed hash; expiry, last use; revoked on every instance at once', () => {
  let stack: Stack;
  let second: Gateway;
  let one: Call;
  let two: Call;

  beforeAll(async () => {
    stack = await startStack('security_keys');
    await seedAcme(stack);
    second = await gatewayOn(envOf(stack.gateway));
    one = caller(stack.gateway.url);
    two = caller(second.url);
  });

  afterAll(async () => {
    await second?.stop();
    await stack?.stop();
  });

  it('shows the secret once and stores only its HMAC', async () => {
    const res = await one('/v1/api-keys', { json: { name: 'crm sync', roles: ['csm', 'tier2'] } });
    expect(res.status).toBe(201);
    const created = await json(res);
    expect(created).toMatchObject({ name: 'crm sync', roles: ['csm', 'tier2'], origin: 'api', state: 'active', createdBy: expect.stringMatching(/^key:env-/) });
    expect(created.key).toMatch(new RegExp(`^sld_${created.id}_[A-Za-z0-9_-]{43}$`));
    const secret = created.key.split('_').slice(2).join('_');

    const stored = await stack.db.collection('gateway_api_keys').findOne({ _id: created.id });
    expect(stored).toMatchObject({ hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(JSON.stringify(stored)).not.toContain(secret);
    const read = await json(await one(`/v1/api-keys/${created.id}`));
    expect(read).not.toHaveProperty('key');
    expect(JSON.stringify(await json(await one('/v1/api-keys')))).not.toContain(secret);

    // The key works, with its roles: a CSM reads accounts but does not create them.
    expect((await one('/v1/accounts', { key: created.key })).status).toBe(200);
    const refused = await one('/v1/accounts', { key: created.key, json: { name: 'X', timeZone: 'UTC' } });
    expect(refused.status).toBe(403);
    expect(await json(refused)).toMatchObject({ code: 'AUTH.FORBIDDEN' });
    // A wrong secret for a real key id, and a key of nobody, are both just not recognised.
    const forged = `sld_${created.id}_${'A'.repeat(43)}`;
    expect(await json(await one('/v1/accounts', { key: forged }))).toMatchObject({ code: 'AUTH.INVALID_KEY' });
    expect(await json(await one('/v1/accounts', { key: 'no-such-key-of-anyone' }))).toMatchObject({ code: 'AUTH.INVALID_KEY' });
  });

  it('seeds SLADESK_ADMIN_API_KEY as an admin key, listed like the others', async () => {
    const page = await json(await one('/v1/api-keys'));
    expect(page.items).toEqual(expect.arrayContaining([expect.objectContaining({ origin: 'environment', roles: ['admin'], state: 'active' })]));
    expect(JSON.stringify(page)).not.toContain(ADMIN_KEY);
  });

  it('refuses keys that do not make sense', async () => {
    for (const body of [
      { name: 'x', roles: ['integration'] },
      { name: 'x', roles: ['integration', 'csm'], accountId: 'acme' },
      { name: 'x', roles: ['csm'], accountId: 'acme' },
      { name: 'x', roles: ['admin'], expiresAt: '2001-01-01T00:00:00Z' },
    ]) {
      const res = await one('/v1/api-keys', { json: body });
      expect({ body, status: res.status, code: (await json(res)).code }).toEqual({ body, status: 400, code: 'API_KEY.INVALID' });
    }
    const unknown = await one('/v1/api-keys', { json: { name: 'x', roles: ['integration'], accountId: 'nobody' } });
    expect(unknown.status).toBe(404);
    expect((await one('/v1/api-keys', { json: { name: 'x', roles: ['root'] } })).status).toBe(400);
  });

  it('stops a key at its expiry', async () => {
    const expiresAt = new Date(Date.now() + 1500).toISOString();
    const { key } = await createKey(one, ['executive'], { expiresAt });
    await new Promise((r) => setTimeout(r, 2000));
    const res = await one('/v1/accounts', { key });
    expect(res.status).toBe(401);
    expect(await json(res)).toMatchObject({ code: 'AUTH.KEY_EXPIRED' });
  });

  it('records the last use, but not on every request', async () => {
    const { id, key } = await createKey(one, ['agent']);
    expect((await json(await one(`/v1/api-keys/${id}`))).lastUsedAt).toBeUndefined();
    expect((await one('/v1/accounts', { key })).status).toBe(200);
    const first = (await stack.db.collection('gateway_api_keys').findOne({ _id: id as never }))?.lastUsedAt;
    for (let i = 0; i < 5; i++) expect((await one('/v1/accounts', { key })).status).toBe(200);
    const later = await stack.db.collection('gateway_api_keys').findOne({ _id: id as never });
    // Written by the first use (within the bounded interval nothing more), read back through the API.
    expect(first ?? later?.lastUsedAt).toBeInstanceOf(Date);
    expect(later?.lastUsedAt?.getTime()).toBe((first ?? later?.lastUsedAt)?.getTime());
    expect((await json(await one(`/v1/api-keys/${id}`))).lastUsedAt).toBe(later?.lastUsedAt?.toISOString());
  });

  it('a key revoked on one instance is refused by the other at once, though it had it cached', async () => {
    const { id, key } = await createKey(one, ['manager']);
    // The second instance reads the key and caches it (for SLADESK_API_KEY_CACHE_MS, 30 s by default).
    expect((await two('/v1/accounts', { key })).status).toBe(200);
    expect((await two('/v1/accounts', { key })).status).toBe(200);

    const revoked = await one(`/v1/api-keys/${id}`, { method: 'DELETE' });
    expect(revoked.status).toBe(200);
    expect(await json(revoked)).toMatchObject({ id, state: 'revoked', revokedBy: expect.stringMatching(/^key:env-/) });

    for (const call of [two, one]) {
      const res = await call('/v1/accounts', { key });
      expect(res.status).toBe(401);
      expect(await json(res)).toMatchObject({ code: 'AUTH.KEY_REVOKED' });
    }
    // Revoking again answers the same; an unknown id is 404.
    expect((await one(`/v1/api-keys/${id}`, { method: 'DELETE' })).status).toBe(200);
    expect((await one('/v1/api-keys/aaaaaaaaaaaaaaaa', { method: 'DELETE' })).status).toBe(404);
    // Listed as revoked with all=true only.
    expect((await json(await one('/v1/api-keys'))).items.map((k: { id: string }) => k.id)).not.toContain(id);
    expect((await json(await one('/v1/api-keys?all=true'))).items).toEqual(expect.arrayContaining([expect.objectContaining({ id, state: 'revoked' })]));
  });
});
