import { EscalatedPayload, EscalationEvents, makeEnvelope, Rpc } from '@sladesk/contracts';
import { bootstrapService, loadConfig, NatsBus, ServiceProcess } from '@sladesk/messaging';
import { startTestNats, testMongoUrl, waitFor } from '@sladesk/testing';
import { IntakeModule } from '../src/app.module';
import { IntakeEnv } from '../src/config';

/**
 * Intake owns the assignee; escalation asks for one through `escalated`. A person's assignment made
 * after the escalation was decided wins, whatever order the two reach intake in (issue #10 item 10).
 */
describe('intake: who owns the assignee', () => {
  let nats: Awaited<ReturnType<typeof startTestNats>>;
  let intake: ServiceProcess;
  let bus: NatsBus;

  beforeAll(async () => {
    nats = await startTestNats();
    intake = await bootstrapService({
      service: 'intake',
      config: loadConfig(IntakeEnv, { NATS_URL: nats.url, MONGO_URL: testMongoUrl('intake_assignee'), LOG_LEVEL: 'silent', SLADESK_SMTP_PORT: '0' }, {}),
      module: (runtime, config) => IntakeModule.forRoot(runtime, config),
      handleSignals: false,
    });
    bus = await NatsBus.connect(nats.url, 'test');
    for (const id of ['carla', 'tom', 'tina']) await bus.request(Rpc.StaffCreate, { id, name: id, email: `${id}@vendor.test`, roles: ['csm', 'tier2'] });
    await bus.request(Rpc.AccountCreate, { id: 'acme', name: 'Acme', timeZone: 'UTC', csmId: 'carla' });
  });

  afterAll(async () => {
    await intake.stop();
    await bus.close();
    await nats.cleanup();
  });

  const escalated = (caseId: string, assigneeId: string, at: Date) =>
    makeEnvelope(EscalationEvents.Escalated, {
      escalationId: `esc-${assigneeId}-${at.getTime()}`, caseId, accountId: 'acme', level: 'tier2', reason: 'technical',
      detail: 'technical issue', assigneeId, recipients: [assigneeId], repeat: 0, at: at.toISOString(),
    } as EscalatedPayload);
  const escalationEntries = async (caseId: string) =>
    (await bus.request(Rpc.CaseTimeline, { id: caseId })).entries.filter((e) => e.kind === 'escalation');

  it('keeps a manual assignment made after the escalation was decided, and follows a newer escalation', async () => {
    const c = await bus.request(Rpc.CaseCreate, { accountId: 'acme', contact: { name: 'Ada', email: 'ada@acme.test' }, channel: 'api', subject: 'x', description: 'y' });
    const decided = new Date(Date.now() - 60_000);
    await bus.request(Rpc.CaseAssign, { caseId: c.id, by: 'carla', assigneeId: 'tom' });

    await bus.publish(escalated(c.id, 'tina', decided)); // decided a minute before tom was assigned
    await waitFor(async () => (await escalationEntries(c.id)).length === 1, 'the escalation recorded');
    expect((await bus.request(Rpc.CaseGet, { id: c.id })).assigneeId).toBe('tom');

    await bus.publish(escalated(c.id, 'tina', new Date(Date.now() + 1000))); // decided after it
    await waitFor(async () => (await escalationEntries(c.id)).length === 2, 'the second escalation recorded');
    expect((await bus.request(Rpc.CaseGet, { id: c.id })).assigneeId).toBe('tina');
  });
});
