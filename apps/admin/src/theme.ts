import { createTheme } from '@mantine/core';

/** The console's one visual design: Mantine's defaults with our colour and compact radius. */
export const theme = createTheme({
  primaryColor: 'indigo',
  defaultRadius: 'sm',
  fontFamily: 'system-ui, sans-serif',
});
