import {
  AckEscalationCommand,
  CreateEscalationRequest,
  EscalationPolicyRequest,
  EscalationPolicyView,
  EscalationView,
  GetEscalationPolicyQuery,
  GetEscalationQuery,
  ListEscalationsQuery,
  ListNotificationsQuery,
  NotificationView,
  Page,
  Rpc,
} from '@sladesk/contracts';
import { CROSS_ACCOUNT, scopeOfCaller } from '@sladesk/persistence';
import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { NotificationService } from '../notifications/notification.service';
import { PolicyService } from '../policies/policy.service';
import { EscalationService } from './escalation.service';

@Controller()
export class EscalationsMessageController {
  constructor(
    private readonly escalations: EscalationService,
    private readonly policies: PolicyService,
    private readonly notifications: NotificationService,
  ) {}

  @MessagePattern(Rpc.PolicyPut)
  putPolicy(@Payload() req: EscalationPolicyRequest): Promise<EscalationPolicyView> {
    return this.policies.put(req);
  }

  @MessagePattern(Rpc.PolicyGet)
  getPolicy(@Payload() q: GetEscalationPolicyQuery): Promise<EscalationPolicyView> {
    return this.policies.view(q.accountId);
  }

  @MessagePattern(Rpc.EscalationCreate)
  create(@Payload() req: CreateEscalationRequest): Promise<EscalationView> {
    return this.escalations.createManual(req);
  }

  @MessagePattern(Rpc.EscalationAck)
  ack(@Payload() cmd: AckEscalationCommand): Promise<EscalationView> {
    return this.escalations.acknowledge(scopeOfCaller(cmd.scope), cmd);
  }

  @MessagePattern(Rpc.EscalationGet)
  get(@Payload() q: GetEscalationQuery): Promise<EscalationView> {
    return this.escalations.get(scopeOfCaller(q.scope), q.id);
  }

  @MessagePattern(Rpc.EscalationList)
  list(@Payload() q: ListEscalationsQuery): Promise<Page<EscalationView>> {
    // As intake's case list: for an account-scoped caller the gateway forces `accountId`, which is the scope.
    return this.escalations.list(q.accountId ? { accountId: q.accountId } : CROSS_ACCOUNT, q);
  }

  @MessagePattern(Rpc.NotificationList)
  notificationsList(@Payload() q: ListNotificationsQuery): Promise<Page<NotificationView>> {
    // Cross-account (notifications are staff mail and carry no account): staff-only at the gateway.
    return this.notifications.list(q);
  }
}
