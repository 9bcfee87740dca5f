import { Table } from '@mantine/core';
import { formatMs, formatRate } from './ranges.ts';

/** What a row of runs' outcomes shows, whatever it groups by (a plan, a time bucket). */
export interface Outcomes {
  runs: number;
  succeeded: number;
  failed: number;
  successRate: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
}

/** The outcome columns' headings, in the order `OutcomeCells` fills them. */
export function OutcomeHeads() {
  return (
    <>
      <Table.Th>Runs</Table.Th>
      <Table.Th>Succeeded</Table.Th>
      <Table.Th>Failed</Table.Th>
      <Table.Th>Success rate</Table.Th>
      <Table.Th>p50</Table.Th>
      <Table.Th>p95</Table.Th>
    </>
  );
}

export function OutcomeCells({ row }: { row: Outcomes }) {
  return (
    <>
      <Table.Td>{row.runs}</Table.Td>
      <Table.Td>{row.succeeded}</Table.Td>
      <Table.Td>{row.failed}</Table.Td>
      <Table.Td>{formatRate(row.successRate)}</Table.Td>
      <Table.Td>{formatMs(row.p50Ms)}</Table.Td>
      <Table.Td>{formatMs(row.p95Ms)}</Table.Td>
    </>
  );
}
