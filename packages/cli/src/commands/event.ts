import type { Command } from 'commander';
import { jsonArg } from '../json-arg.ts';
import { type GlobalOptions, Session } from '../session.ts';
import { document, type UserErrorShape } from './pending-documents.ts';

const SEND = document<
  { sendEvent: { resumed: number; started: { id: string }[]; userErrors: UserErrorShape[] } },
  { input: { workspaceId: string; name: string; data: unknown } }
>(
  'mutation SendEvent($input: SendEventInput!) { sendEvent(input: $input) { resumed started { id } userErrors { code field message } } }',
);

export function registerEvent(program: Command): void {
  program
    .command('event')
    .description('events that resume waiting steps and start triggered plans')
    .command('send <name>')
    .description('sends an event to the workspace')
    .option('--data <json>', "the event's data as JSON, or @file.json")
    .addHelpText('after', '\nExample:\n  weft event send order.paid --data \'{"orderId": 42}\'')
    .action(async (name: string, options: { data?: string }, command: Command) => {
      const session = await Session.open(command.optsWithGlobals<GlobalOptions>());
      const { id: workspaceId } = await session.workspace();
      const data = options.data === undefined ? null : await jsonArg(options.data, '--data');
      const payload = await session.client.mutate(SEND, 'sendEvent', { input: { workspaceId, name, data } });
      session.out.result({ resumed: payload.resumed, started: payload.started.map((e) => e.id) });
      session.out.line(`${name}: resumed ${payload.resumed} step(s), started ${payload.started.length} run(s)`);
      for (const e of payload.started) session.out.line(`  ${e.id}`);
    });
}
