import 'reflect-metadata';
import { CaseEvents, EscalationEvents, SlaEvents } from '@sladesk/contracts';
import { startConsumer } from './consumer';

// A runnable consumer: prints every case opened, SLA breach and escalation as it happens.
// NATS_URL is what `npm start` prints (nats://127.0.0.1:4222 unless that port was taken);
// SLADESK_CONSUMER names the durable consumer (run two with the same name and they share the work).
const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const durable = process.env.SLADESK_CONSUMER ?? 'example-consumer';

startConsumer({
  natsUrl,
  durable,
  handlers: {
    [CaseEvents.CaseOpened]: ({ payload: c, correlationId }) =>
      console.log(`case #${c.number} opened for ${c.accountId}: ${c.severity}/${c.category} by ${c.channel} (correlation ${correlationId})`),
    [SlaEvents.SlaBreached]: ({ payload: b }) =>
      console.log(`case ${b.caseId} breached its ${b.clock} goal (${b.goal.duration}), due ${b.dueAt}`),
    [EscalationEvents.Escalated]: ({ payload: e }) => console.log(`escalation to ${e.level} (${e.reason}) for ${e.caseId ?? e.incidentId}`),
  },
})
  .then((consumer) => {
    console.log(`consuming as durable "${durable}" from ${natsUrl}; Ctrl-C stops`);
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void consumer.stop().then(() => process.exit(0)));
  })
  .catch((e: Error) => {
    console.error(`could not start: ${e.message}`);
    process.exit(1);
  });
