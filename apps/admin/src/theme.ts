import { type CSSVariablesResolver, createTheme, darken } from '@mantine/core';

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
});

/**
 * Text on the tinted ("light") and outlined variants of every colour (status chips, alerts, light
 * buttons) is Mantine's shade 6 by default: 2–4:1 on its tint for green, yellow, orange and red.
 * Shade 9 darkened by a quarter reads at 4.5:1 or better on every tint. Dimmed text is gray 6
 * (3.3:1 on white) by default; gray 7 reads at 8:1.
 */
export const cssVariablesResolver: CSSVariablesResolver = (resolved) => {
  const readable: Record<string, string> = { '--mantine-color-dimmed': 'var(--mantine-color-gray-7)' };
  for (const [name, shades] of Object.entries(resolved.colors)) {
    const text = darken(shades[9], 0.25);
    readable[`--mantine-color-${name}-light-color`] = text;
    readable[`--mantine-color-${name}-outline`] = text;
  }
  return { variables: {}, light: readable, dark: {} };
};
