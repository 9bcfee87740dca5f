import { describe, expect, it } from 'vitest';
import { significanceInWords } from './significance.ts';

describe('significanceInWords', () => {
  it('says which version does better and whether it could be chance', () => {
    expect(
      significanceInWords(
        { number: 1, finished: 3, successRate: 2 / 3 },
        { number: 2, finished: 2, successRate: 0.5 },
        -0.373,
        false,
      ),
    ).toBe(
      "Not significant: Version 2's success rate (50%) is lower than version 1's (67%), but over 5 finished runs this could well be chance (z = -0.37; 95 % confidence needs |z| ≥ 1.96).",
    );
    expect(
      significanceInWords(
        { number: 3, finished: 200, successRate: 0.7 },
        { number: 4, finished: 200, successRate: 0.9 },
        4.9,
        true,
      ),
    ).toMatch(/^Significant: Version 4's success rate \(90%\) is higher than version 3's \(70%\).*z = 4\.90/);
  });

  it('does not compare without finished runs on both sides', () => {
    expect(
      significanceInWords(
        { number: 1, finished: 0, successRate: null },
        { number: 2, finished: 4, successRate: 1 },
        null,
        false,
      ),
    ).toMatch(/^Not enough to compare yet.*version 1 has 0, version 2 has 4/);
  });
});
