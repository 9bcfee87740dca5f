import { type CSSVariablesResolver, createTheme, darken, luminance } from '@mantine/core';

/**
 * The console's one visual design: Mantine's defaults with our colour and compact radius, and
 * colours dark enough to read. Mantine's default shade 6 gives white text on indigo (and indigo on
 * white) a contrast of 4.3:1, under WCAG AA's 4.5:1; shade 8 gives 5.7:1.
 */
export const theme = createTheme({
  primaryColor: 'indigo',
  primaryShade: 8,
  defaultRadius: 'sm',
  fontFamily: 'system-ui, sans-serif',
  components: {
    // A link inside a sentence must not be told apart by colour alone (WCAG 1.4.1): underline them all,
    // so a link reads as one wherever it sits (text, table cell, card).
    Anchor: { defaultProps: { underline: 'always' } },
  },
});

/** WCAG contrast of white text on `background`. */
const contrastOfWhiteOn = (background: string) => 1.05 / (luminance(background) + 0.05);

/**
 * The background of a colour's filled variant (buttons, badges): its shade 8, as for the primary
 * colour, darkened in small steps until white text on it reads at 4.5:1. Shade 8 of green, teal, cyan,
 * lime, yellow and orange is too light for white text (green: 3.4:1); indigo, blue, red are left as they are.
 */
function readableFilled(shade8: string): string {
  let background = shade8;
  for (let amount = 0.05; contrastOfWhiteOn(background) < 4.5 && amount <= 1; amount += 0.05) {
    background = darken(shade8, amount);
  }
  return background;
}

/**
 * Text on the tinted ("light") and outlined variants of every colour (status chips, alerts, light
 * buttons) is Mantine's shade 6 by default: 2–4:1 on its tint for green, yellow, orange and red.
 * Shade 9 darkened by a quarter reads at 4.5:1 or better on every tint. Dimmed text is gray 6
 * (3.3:1 on white) by default; gray 7 reads at 8:1. Filled backgrounds are made readable under
 * white text the same way (`readableFilled`).
 */
export const cssVariablesResolver: CSSVariablesResolver = (resolved) => {
  const readable: Record<string, string> = { '--mantine-color-dimmed': 'var(--mantine-color-gray-7)' };
  for (const [name, shades] of Object.entries(resolved.colors)) {
    const text = darken(shades[9], 0.25);
    readable[`--mantine-color-${name}-light-color`] = text;
    readable[`--mantine-color-${name}-outline`] = text;
    const filled = readableFilled(shades[8]);
    if (filled !== shades[8]) {
      readable[`--mantine-color-${name}-filled`] = filled;
      readable[`--mantine-color-${name}-filled-hover`] = darken(filled, 0.1);
    }
  }
  return { variables: {}, light: readable, dark: {} };
};
