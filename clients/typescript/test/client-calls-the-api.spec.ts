import { freePort, ServiceChild, spawnService, startTestNats, testMongoUrl, workspaceRoot } from '@sladesk/testing';
import mongoose from 'mongoose';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSladeskClient, Schemas, SladeskClient } from '../src';

/** The generated client against the real gateway and intake processes over NATS and MongoDB. */
describe('createSladeskClient', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let intake: ServiceChild;
  let gateway: ServiceChild;
  let baseUrl: string;
  let api: SladeskClient;
  const mongoUrl = testMongoUrl('client');
  const apiKey = 'client-test-admin-key-0123456789';

  beforeAll(async () => {
    nats = await startTestNats();
    const port = await freePort();
    const env = { NATS_URL: nats.url, MONGO_URL: mongoUrl };
    intake = spawnService('intake', { ...env, SLADESK_SMTP_PORT: '0' });
    gateway = spawnService('gateway', { ...env, PORT: String(port), SLADESK_ADMIN_API_KEY: apiKey });
    await Promise.all([intake.ready, gateway.ready]);
    baseUrl = `http://127.0.0.1:${port}`;
    api = createSladeskClient({ baseUrl, apiKey });
  });
  afterAll(async () => {
    await gateway?.kill();
    await intake?.kill();
    await nats?.cleanup();
    const db = await mongoose.createConnection(mongoUrl).asPromise();
    await db.dropDatabase();
    await db.close();
  });

  it('was generated from the very document the running gateway serves', async () => {
    const served = await (await fetch(`${baseUrl}/openapi.json`)).json();
    expect(served).toEqual(JSON.parse(readFileSync(join(workspaceRoot(), 'clients', 'typescript', 'openapi.json'), 'utf8')));
  });

  it('creates and reads through typed calls, and gives the API error on failure', async () => {
    const staff = await api.POST('/v1/staff', { body: { id: 'carla', name: 'Carla', email: 'carla@vendor.test', roles: ['csm'] } });
    expect(staff.response.status).toBe(201);
    const account = await api.POST('/v1/accounts', { body: { id: 'acme', name: 'Acme', timeZone: 'America/New_York', csmId: 'carla', contacts: [{ name: 'Ada', email: 'ada@acme.test' }] } });
    expect(account.response.status).toBe(201);

    const inquiry: Schemas['CreateCaseRequest'] = {
      accountId: 'acme',
      contact: { name: 'Ada', email: 'ada@acme.test' },
      channel: 'api',
      subject: 'Cannot log in',
      description: 'The login page spins forever.',
      severity: 'high',
    };
    const created = await api.POST('/v1/cases', { body: inquiry, params: { header: { 'Idempotency-Key': 'client-1' } } });
    expect(created.response.status).toBe(201);
    const id = created.data!.id!;
    const again = await api.POST('/v1/cases', { body: inquiry, params: { header: { 'Idempotency-Key': 'client-1' } } });
    expect(again.data!.id).toBe(id);

    const record = await api.GET('/v1/cases/{id}', { params: { path: { id } } });
    expect(record.data).toMatchObject({ id, accountId: 'acme', severity: 'high', subject: 'Cannot log in' });
    const page = await api.GET('/v1/cases', { params: { query: { accountId: 'acme', limit: 10 } } });
    expect(page.data!.items!.map((c) => c.id)).toEqual([id]);

    const missing = await api.GET('/v1/cases/{id}', { params: { path: { id: 'no-such-case' } } });
    expect(missing.response.status).toBe(404);
    expect(missing.error).toMatchObject({ code: 'CASE.NOT_FOUND' });

    const anonymous = await createSladeskClient({ baseUrl, apiKey: 'wrong-key-wrong-key' }).GET('/v1/cases', {});
    expect(anonymous.response.status).toBe(401);
  });
});
