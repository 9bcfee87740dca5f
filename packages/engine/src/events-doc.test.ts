/**
 * docs/events.md is what webhook receivers and subscribers code against: it must have a row for
 * every event type the engine writes, and no row for one it does not. `EVENT_TYPES` must name
 * every `ExecutionEventType` and nothing else (the compiler checks both ways), so a type added to
 * `ExecutionEventData` fails the typecheck until it is listed here, and this test until it is documented.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ExecutionEventType } from './events.ts';

const EVENT_TYPES = {
  'execution.started': true,
  'execution.succeeded': true,
  'execution.failed': true,
  'execution.paused': true,
  'execution.resumed': true,
  'execution.cancelled': true,
  'execution.retried': true,
  'execution.rolling_back': true,
  'execution.rolled_back': true,
  'step.started': true,
  'step.succeeded': true,
  'step.retrying': true,
  'step.failed': true,
  'step.skipped': true,
  'step.falling_back': true,
  'step.waiting': true,
  'step.cancelled': true,
  'step.child_started': true,
  'map.opened': true,
  'map.item_started': true,
  'map.item_finished': true,
  'map.item_lost': true,
  'step.cached': true,
  'step.lost': true,
  'step.waiting_lock': true,
  'step.rate_limited': true,
  'step.compensated': true,
  'approval.requested': true,
  'approval.decided': true,
} as const satisfies Record<ExecutionEventType, true>;

/** The event types named in the first cell of the page's table rows (`type.name` in backticks). */
function documentedTypes(markdown: string): string[] {
  const types = new Set<string>();
  for (const line of markdown.split('\n')) {
    if (!line.startsWith('| `')) continue;
    const firstCell = line.split('|')[1] ?? '';
    for (const [, name] of firstCell.matchAll(/`([a-z_]+\.[a-z_]+)`/g)) if (name !== undefined) types.add(name);
  }
  return [...types].sort();
}

describe('docs/events.md', () => {
  it('has a row for exactly the event types ExecutionEventData declares', () => {
    const page = readFileSync(new URL('../../../docs/events.md', import.meta.url), 'utf8');
    expect(documentedTypes(page)).toEqual(Object.keys(EVENT_TYPES).sort());
  });

  it('reads event types from the first cell of table rows only', () => {
    expect(documentedTypes('| `step.started` / `step.lost` | x | y |\n| `TOOL_ERROR` | yes | z |')).toEqual([
      'step.lost',
      'step.started',
    ]);
  });
});
