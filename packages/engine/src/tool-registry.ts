import { builtinTools } from './builtin-tools.ts';
import type { Logger } from './logger.ts';
import { resolveToolRef } from './tool-ref.ts';
import type { ToolDefinition, ToolProvider } from './types.ts';

/** @public Built-ins plus every registered provider's tools, per workspace. */
export class ToolRegistry {
  private readonly providers: ToolProvider[] = [];

  constructor(private readonly logger: Logger) {}

  register(provider: ToolProvider): void {
    if (this.providers.some((p) => p.name === provider.name)) {
      throw new Error(`a tool provider named "${provider.name}" is already registered`);
    }
    this.providers.push(provider);
  }

  async list(workspaceId: string): Promise<ToolDefinition[]> {
    const tools: ToolDefinition[] = [...builtinTools];
    for (const provider of this.providers) {
      try {
        tools.push(...(await provider.listTools(workspaceId)));
      } catch (err) {
        // One broken provider must not hide the others' tools.
        this.logger.warn({ err, provider: provider.name }, 'tool provider failed to list tools');
      }
    }
    return tools;
  }

  async resolve(workspaceId: string, ref: string): Promise<ToolDefinition | null> {
    return resolveToolRef(await this.list(workspaceId), ref);
  }
}
