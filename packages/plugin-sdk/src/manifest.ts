/** The manifest format: what `weft-plugin build` writes and the marketplace stores. */

/** @public One tool in a manifest. */
export interface ManifestTool {
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
  outputSchema?: Record<string, unknown>;
  cacheable?: boolean;
  dryRun?: 'run' | 'mock';
  provides?: string;
}

/** @public `manifest.json`, as built and as published. */
export interface PluginManifest {
  manifestVersion: 1;
  name: string;
  version: string;
  description: string;
  capabilities: string[];
  optionalCapabilities: string[];
  tools: ManifestTool[];
  /** `sha256-<base64>` of the bundle file, as Subresource Integrity writes it. */
  integrity: string;
  sdkVersion: string;
}

/** Capability strings: `kv`, `llm`, `http:<host>[:port]`, `http:*.<domain>`, `http:*`, `secrets:<NAME>`, `secrets:*`. */
export const CAPABILITY_PATTERN =
  '^(kv|llm|http:(\\*|(\\*\\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:[0-9]{1,5})?)|secrets:(\\*|[A-Za-z_][A-Za-z0-9_]{0,127}))$';

const jsonSchemaObject = { type: 'object' };

/**
 * @public JSON Schema of {@link PluginManifest}; the marketplace validates every publish against it.
 * @example
 * const validate = new Ajv().compile(manifestJsonSchema);
 */
export const manifestJsonSchema = {
  $id: 'https://weft.dev/schemas/plugin-manifest.json',
  type: 'object',
  additionalProperties: false,
  required: [
    'manifestVersion',
    'name',
    'version',
    'description',
    'capabilities',
    'optionalCapabilities',
    'tools',
    'integrity',
    'sdkVersion',
  ],
  properties: {
    manifestVersion: { const: 1 },
    name: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,62}$' },
    version: { type: 'string', minLength: 5, maxLength: 64 },
    description: { type: 'string', maxLength: 2000 },
    capabilities: {
      type: 'array',
      maxItems: 64,
      uniqueItems: true,
      items: { type: 'string', pattern: CAPABILITY_PATTERN },
    },
    optionalCapabilities: {
      type: 'array',
      maxItems: 64,
      uniqueItems: true,
      items: { type: 'string', pattern: CAPABILITY_PATTERN },
    },
    tools: {
      type: 'array',
      minItems: 1,
      maxItems: 100,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'description', 'inputSchema'],
        properties: {
          name: { type: 'string', pattern: '^[a-z][a-zA-Z0-9_-]{0,62}$' },
          description: { type: 'string', maxLength: 2000 },
          inputSchema: jsonSchemaObject,
          outputSchema: jsonSchemaObject,
          cacheable: { type: 'boolean' },
          dryRun: { enum: ['run', 'mock'] },
          provides: { type: 'string', maxLength: 200 },
        },
      },
    },
    integrity: { type: 'string', pattern: '^sha256-[A-Za-z0-9+/]{43}=$' },
    sdkVersion: { type: 'string', maxLength: 64 },
  },
} as const;
