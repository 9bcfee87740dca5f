import { LogInDocument, ViewerDocument, WeftClient } from '@weft/client';
import type { Command } from 'commander';
import { writeConfig } from '../config.ts';
import { CliError, ExitCode } from '../exit-codes.ts';
import { Output } from '../output.ts';
import type { GlobalOptions } from '../session.ts';

interface LoginOptions {
  email?: string;
  password?: string;
  token?: string;
}

export function registerLogin(program: Command): void {
  program
    .command('login')
    .description('sign in to the server given by --url and remember it and the token')
    .option('--email <email>', 'sign in with an email and password')
    .option('--password <password>', 'the password (prefer WEFT_PASSWORD: arguments show in `ps`)')
    .option('--token <token>', 'use an API token instead of a password')
    .addHelpText(
      'after',
      '\nExamples:\n  weft login --url http://localhost:4000 --email me@example.com --password ...\n  weft login --url https://weft.example.com --token $WEFT_TOKEN',
    )
    .action(async (options: LoginOptions, command: Command) => {
      // `--url` is the global option (commander reads it anywhere on the line): here it is required.
      const global = command.optsWithGlobals<GlobalOptions>();
      const out = new Output(global.json === true);
      const url = global.url ?? process.env.WEFT_URL;
      if (url === undefined) throw new CliError('give --url URL (the Weft server)', ExitCode.USAGE, 'USAGE');
      const anonymous = new WeftClient({ url });
      let token = options.token;
      if (token === undefined) {
        const password = options.password ?? process.env.WEFT_PASSWORD;
        if (options.email === undefined || password === undefined) {
          throw new CliError('give --email and --password (or WEFT_PASSWORD), or --token', ExitCode.USAGE, 'USAGE');
        }
        const payload = await anonymous.mutate(LogInDocument, 'logIn', { input: { email: options.email, password } });
        token = payload.token ?? undefined;
      }
      if (token === undefined) throw new CliError('the server returned no token', ExitCode.AUTH, 'UNAUTHENTICATED');
      const { viewer } = await anonymous.withToken(token).request(ViewerDocument);
      if (viewer === null)
        throw new CliError('the token is not valid on this server', ExitCode.AUTH, 'UNAUTHENTICATED');
      await writeConfig({ url: anonymous.url, token });
      out.result({ url: anonymous.url, email: viewer.email });
      out.line(`Signed in to ${anonymous.url} as ${viewer.email}.`);
    });
}
