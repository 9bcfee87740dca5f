import { definePlugin, defineTool, Type } from '@weft/plugin-sdk';

export const complete = defineTool({
  name: 'complete',
  description: "A completion through the Weft server's LLM configuration (OpenAI or a compatible server).",
  input: Type.Object({
    prompt: Type.String({ minLength: 1 }),
    system: Type.Optional(Type.String()),
    maxTokens: Type.Optional(Type.Integer({ minimum: 1, maximum: 32_000 })),
    temperature: Type.Optional(Type.Number({ minimum: 0, maximum: 2 })),
  }),
  output: Type.Object({
    text: Type.String(),
    model: Type.String(),
    usage: Type.Optional(Type.Object({ promptTokens: Type.Integer(), completionTokens: Type.Integer() })),
  }),
  dryRun: 'mock',
  run: (input, ctx) => ctx.llm.complete(input),
});

export default definePlugin({
  name: 'llm',
  version: '1.0.0',
  description: 'Text completions through the host LLM (capability llm).',
  capabilities: ['llm'],
  tools: [complete],
});
