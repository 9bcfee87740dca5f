/** The durable execution engine (see ARCHITECTURE.md). */
export const ENGINE_VERSION = '0.1.0';
