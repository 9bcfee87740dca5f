/**
 * Counts as requests spell them ("every two hours", "wait five minutes"): one table for every
 * phrase that reads a count, so the planner understands the same words everywhere.
 */
export const NUMBER_WORDS: Readonly<Record<string, number>> = {
  a: 1,
  an: 1,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  fifteen: 15,
  twenty: 20,
  thirty: 30,
};

/** `NUMBER_WORDS` as a regular-expression alternation (no group). */
export const NUMBER_WORD_PATTERN = Object.keys(NUMBER_WORDS).join('|');
