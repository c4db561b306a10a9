import { OptOutCommand, OptOutResult, Rpc } from '@sladesk/contracts';
import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { SignedLinks } from '../../common/links';
import { AccountRepository } from '../account.repository';

@Controller()
export class OptOutMessageController {
  constructor(
    private readonly links: SignedLinks,
    private readonly accounts: AccountRepository,
  ) {}

  /** The signed link of a notice: the contact receives no more non-security notices (idempotent). */
  @MessagePattern(Rpc.NoticeOptOut)
  async optOut(@Payload() cmd: OptOutCommand): Promise<OptOutResult> {
    const { accountId, email } = this.links.readOptOut(cmd.token);
    await this.accounts.model.updateOne({ _id: accountId }, { $addToSet: { optedOut: email } }, { upsert: true }).catch((e) => {
      if ((e as { code?: number }).code !== 11000) throw e;
      return this.accounts.model.updateOne({ _id: accountId }, { $addToSet: { optedOut: email } });
    });
    return { accountId, email, receivesNotices: false };
  }
}
