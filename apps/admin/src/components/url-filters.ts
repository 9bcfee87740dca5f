import { useSearchParams } from 'react-router';

/**
 * A list's filters kept in the URL's query, so a filtered view survives reload and can be shared.
 * `set` builds on the latest params, not this render's: two filters changed in a row both stick.
 * `onChange` runs after each change (the lists go back to their first page).
 */
export function useUrlFilters(onChange: () => void) {
  const [params, setParams] = useSearchParams();
  return {
    params,
    get: (key: string) => params.get(key),
    set: (key: string, value: string | null) => {
      setParams(
        (current) => {
          const next = new URLSearchParams(current);
          if (value === null || value === '') next.delete(key);
          else next.set(key, value);
          return next;
        },
        { replace: true },
      );
      onChange();
    },
  };
}
