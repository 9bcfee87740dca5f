/** A statement as `client.query` takes it: the SQL text and its parameters, in order. */
export interface Statement {
  text: string;
  values: unknown[];
}
