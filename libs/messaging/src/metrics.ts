import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/** One registry per process, labelled with the service name so the gateway can merge them. */
export class Metrics {
  readonly registry = new Registry();
  readonly messagesHandled: Counter<'subject' | 'outcome'>;
  readonly handlerSeconds: Histogram<'subject'>;
  readonly deadLetters: Counter<'subject' | 'consumer'>;
  readonly outboxPublished: Counter<'subject'>;
  readonly outboxFailures: Counter<'collection'>;
  readonly oversizedReplies: Counter<'subject'>;

  constructor(readonly service: string) {
    this.registry.setDefaultLabels({ service });
    collectDefaultMetrics({ register: this.registry });
    this.messagesHandled = new Counter({
      name: 'sladesk_messages_handled_total',
      help: 'Messages handled, by subject and outcome (ack, nak, dead_letter, reply, error_reply).',
      labelNames: ['subject', 'outcome'],
      registers: [this.registry],
    });
    this.handlerSeconds = new Histogram({
      name: 'sladesk_handler_seconds',
      help: 'Time spent in message handlers.',
      labelNames: ['subject'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [this.registry],
    });
    this.deadLetters = new Counter({
      name: 'sladesk_dead_letters_total',
      help: 'Messages moved to the dead-letter subject and collection.',
      labelNames: ['subject', 'consumer'],
      registers: [this.registry],
    });
    this.outboxFailures = new Counter({
      name: 'sladesk_outbox_publish_failures_total',
      help: 'Documents whose outbox could not be published (retried with backoff).',
      labelNames: ['collection'],
      registers: [this.registry],
    });
    this.oversizedReplies = new Counter({
      name: 'sladesk_rpc_replies_too_large_total',
      help: 'Replies that exceeded the NATS max_payload and were answered with REPLY.TOO_LARGE.',
      labelNames: ['subject'],
      registers: [this.registry],
    });
    this.outboxPublished = new Counter({
      name: 'sladesk_outbox_published_total',
      help: 'Events published from an outbox and acknowledged by JetStream.',
      labelNames: ['subject'],
      registers: [this.registry],
    });
  }
}
