import { IntercomWebhookCommand, IntercomWebhookResult, Rpc } from '@sladesk/contracts';
import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { IntercomWebhookService } from './intercom-webhook.service';

@Controller()
export class IntercomWebhookMessageController {
  constructor(private readonly service: IntercomWebhookService) {}

  @MessagePattern(Rpc.IntercomWebhook)
  receive(@Payload() cmd: IntercomWebhookCommand): Promise<IntercomWebhookResult> {
    return this.service.handle(cmd);
  }
}
