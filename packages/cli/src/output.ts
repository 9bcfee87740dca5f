import pc from 'picocolors';

type Colors = ReturnType<typeof pc.createColors>;

/**
 * Where a command writes: human lines (coloured only when stdout is a terminal) or, with `--json`,
 * one JSON document per result, so a CI job can parse the last stdout line.
 */
export class Output {
  readonly color: Colors;
  readonly tty: boolean;
  constructor(
    readonly json: boolean,
    readonly stdout: NodeJS.WriteStream = process.stdout,
    readonly stderr: NodeJS.WriteStream = process.stderr,
  ) {
    this.tty = stdout.isTTY === true && !json;
    this.color = pc.createColors(this.tty && !process.env.NO_COLOR);
  }

  /** A human line; silent under `--json`. */
  line(text = ''): void {
    if (!this.json) this.stdout.write(`${text}\n`);
  }

  /** The machine-readable result of a command (under `--json`). */
  result(value: unknown): void {
    if (this.json) this.stdout.write(`${JSON.stringify(value)}\n`);
  }

  /** A line that replaces itself on a terminal (progress); nothing when not a TTY. */
  progress(text: string): void {
    if (this.tty) this.stdout.write(`\r\x1b[2K${text}`);
  }

  endProgress(): void {
    if (this.tty) this.stdout.write('\r\x1b[2K');
  }

  error(message: string): void {
    this.stderr.write(`${this.stderr.isTTY ? pc.red('error') : 'error'}: ${message}\n`);
  }

  table(rows: readonly (readonly string[])[]): void {
    if (this.json || rows.length === 0) return;
    const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
    for (const row of rows)
      this.line(
        row
          .map((cell, i) => cell.padEnd(widths[i] ?? 0))
          .join('  ')
          .trimEnd(),
      );
  }
}
