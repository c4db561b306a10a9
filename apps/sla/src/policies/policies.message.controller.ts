import { CreateSlaPolicyRequest, GetSlaPolicyQuery, ListSlaPoliciesQuery, SlaPolicyView, SlaRpc, UpdateSlaPolicyCommand } from '@sladesk/contracts';
import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { PoliciesService } from './policies.service';

@Controller()
export class PoliciesMessageController {
  constructor(private readonly policies: PoliciesService) {}

  @MessagePattern(SlaRpc.SlaPolicyCreate)
  create(@Payload() req: CreateSlaPolicyRequest): Promise<SlaPolicyView> {
    return this.policies.create(req);
  }

  @MessagePattern(SlaRpc.SlaPolicyList)
  list(@Payload() q: ListSlaPoliciesQuery): Promise<SlaPolicyView[]> {
    return this.policies.list(q);
  }

  @MessagePattern(SlaRpc.SlaPolicyGet)
  get(@Payload() q: GetSlaPolicyQuery): Promise<SlaPolicyView> {
    return this.policies.get(q.id);
  }

  @MessagePattern(SlaRpc.SlaPolicyUpdate)
  update(@Payload() cmd: UpdateSlaPolicyCommand): Promise<SlaPolicyView> {
    return this.policies.update(cmd);
  }
}
