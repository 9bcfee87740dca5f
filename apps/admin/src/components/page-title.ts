import { useEffect } from 'react';

/**
 * Names the browser tab after the page ("Runs · Acme · Weft admin"): the title is what a screen
 * reader announces when a page opens, and what tells one tab from another.
 */
export function usePageTitle(...parts: (string | null | undefined)[]): void {
  const title = [...parts, 'Weft admin'].filter((p) => p !== null && p !== undefined && p !== '').join(' · ');
  useEffect(() => {
    document.title = title;
  }, [title]);
}
