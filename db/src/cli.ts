import { migrate } from './migrate.ts';

const url = process.env.DATABASE_URL;
if (url === undefined || url === '') {
  process.stderr.write(
    'DATABASE_URL must be set to run migrations (npm start migrates the embedded database itself)\n',
  );
  process.exit(1);
}
try {
  const applied = await migrate(url, { log: (m) => process.stdout.write(`${m}\n`) });
  process.stdout.write(applied.length === 0 ? 'database is up to date\n' : `applied ${applied.length} migration(s)\n`);
} catch (error) {
  process.stderr.write(`migration failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
