import {
  CorrectIncidentCommand,
  CreateIncidentRequest,
  GetIncidentQuery,
  IncidentView,
  LinkIncidentCasesCommand,
  ListIncidentsQuery,
  Page,
  RestoreIncidentCommand,
  Rpc,
} from '@sladesk/contracts';
import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { IncidentService } from './incident.service';

@Controller()
export class IncidentsMessageController {
  constructor(private readonly incidents: IncidentService) {}

  @MessagePattern(Rpc.IncidentCreate)
  create(@Payload() req: CreateIncidentRequest): Promise<IncidentView> {
    return this.incidents.create(req);
  }

  @MessagePattern(Rpc.IncidentLinkCases)
  link(@Payload() cmd: LinkIncidentCasesCommand): Promise<IncidentView> {
    return this.incidents.link(cmd);
  }

  @MessagePattern(Rpc.IncidentRestore)
  restore(@Payload() cmd: RestoreIncidentCommand): Promise<IncidentView> {
    return this.incidents.restore(cmd);
  }

  @MessagePattern(Rpc.IncidentCorrect)
  correct(@Payload() cmd: CorrectIncidentCommand): Promise<IncidentView> {
    return this.incidents.correct(cmd);
  }

  @MessagePattern(Rpc.IncidentGet)
  get(@Payload() q: GetIncidentQuery): Promise<IncidentView> {
    return this.incidents.get(q.id);
  }

  @MessagePattern(Rpc.IncidentList)
  list(@Payload() q: ListIncidentsQuery): Promise<Page<IncidentView>> {
    return this.incidents.list(q);
  }
}
