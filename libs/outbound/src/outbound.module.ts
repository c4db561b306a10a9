import { DynamicModule, Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { OutboundEnv } from './config';
import {
  Delivery,
  DeliveryBatch,
  DeliveryBatchSchema,
  DeliveryPack,
  DeliveryPackSchema,
  DeliverySchema,
  OutcomeLog,
  OutcomeLogSchema,
  PackLease,
  PackLeaseSchema,
  PackOutcome,
  PackOutcomeSchema,
} from './delivery.schema';
import { Outbound } from './outbound.service';
import { EmailTransport, IntercomReplyTransport, IntercomTransport } from './transports';

/**
 * Outbound delivery for a service: import `OutboundModule.forRoot(config)` next to `mongoModule` and
 * `MessagingModule`, then inject `Outbound`. Collections: `outbound_deliveries`, `outbound_batches`, `outbound_outcomes`, `outbound_packs`, `outbound_pack_leases`, `outbound_pack_outcomes`,
 * `outbound_due` (the due-time index).
 */
@Module({})
export class OutboundModule {
  static forRoot(config: OutboundEnv): DynamicModule {
    return {
      module: OutboundModule,
      imports: [
        MongooseModule.forFeature([
          { name: Delivery.name, schema: DeliverySchema },
          { name: DeliveryBatch.name, schema: DeliveryBatchSchema },
          { name: OutcomeLog.name, schema: OutcomeLogSchema },
          { name: DeliveryPack.name, schema: DeliveryPackSchema },
          { name: PackLease.name, schema: PackLeaseSchema },
          { name: PackOutcome.name, schema: PackOutcomeSchema },
        ]),
      ],
      providers: [{ provide: OutboundEnv, useValue: config }, EmailTransport, IntercomTransport, IntercomReplyTransport, Outbound],
      exports: [Outbound],
    };
  }
}
