import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { parse } from 'graphql';

/**
 * Operations on schedules and events, by the public contract's names. They are typed by hand and
 * kept out of @weft/client's codegen until schema.graphql has these mutations (another branch adds
 * them); then they move to operations.graphql and this file goes.
 */
export function document<TData, TVariables extends Record<string, unknown>>(
  text: string,
): TypedDocumentNode<TData, TVariables> {
  return parse(text) as TypedDocumentNode<TData, TVariables>;
}

export interface UserErrorShape {
  code: string;
  field: string[] | null;
  message: string;
}
