/**
 * @public The published JSON Schema of a plan document (docs/contract.md "Plan specification").
 * `packages/engine/plan.schema.json` is this object, written by `npm run -w @weft/engine schema`;
 * a test fails when the committed file is stale.
 */
export const planSpecJsonSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://weft.dev/schemas/plan.schema.json',
  title: 'Weft plan',
  type: 'object',
  additionalProperties: false,
  required: ['steps'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 200 },
    concurrency: { type: 'integer', minimum: 1, maximum: 1000, default: 5 },
    steps: { type: 'array', minItems: 1, maxItems: 1000, items: { $ref: '#/$defs/step' } },
    mocks: {
      type: 'object',
      description: 'Dry-run and tests: fixed outputs per step id, used instead of calling the tool.',
      additionalProperties: true,
    },
    approval: {
      type: 'object',
      description: 'Rules for every approval step of the plan.',
      additionalProperties: false,
      properties: {
        selfApproval: {
          type: 'boolean',
          default: true,
          description:
            'false: the member who started a run may not approve its approval steps (rejecting stays allowed).',
        },
      },
    },
  },
  $defs: {
    stepId: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_-]{0,63}$' },
    role: { enum: ['ADMIN', 'MEMBER', 'VIEWER'] },
    toolRef: { type: 'string', pattern: '^[a-z][a-z0-9_-]*(\\.[a-z0-9_-]+)+(@[^\\s@]+)?$' },
    step: {
      type: 'object',
      additionalProperties: false,
      required: ['id'],
      properties: {
        id: { $ref: '#/$defs/stepId' },
        type: { enum: ['tool', 'approval', 'sleep', 'wait', 'plan', 'map'], default: 'tool' },
        tool: { $ref: '#/$defs/toolRef' },
        plan: {
          type: 'string',
          minLength: 1,
          maxLength: 200,
          description: 'plan and map steps: the name of a plan in the same workspace, run as a child execution',
        },
        version: { type: 'integer', minimum: 1, description: 'with plan: that version number (else the latest)' },
        over: {
          type: 'string',
          minLength: 1,
          maxLength: 2000,
          description: 'map steps: a template yielding the array to map over, e.g. "{{ input.orders }}"',
        },
        concurrency: { type: 'integer', minimum: 1, maximum: 100, description: 'map steps: items in flight at once' },
        input: { type: 'object' },
        after: { type: 'array', items: { $ref: '#/$defs/stepId' }, uniqueItems: true },
        retry: {
          type: 'object',
          additionalProperties: false,
          required: ['maxAttempts'],
          properties: {
            maxAttempts: { type: 'integer', minimum: 1, maximum: 100 },
            backoff: { enum: ['fixed', 'exponential'] },
            delayMs: { type: 'integer', minimum: 0, maximum: 86_400_000 },
          },
        },
        timeoutMs: { type: 'integer', minimum: 1, maximum: 86_400_000 },
        cacheTtlMs: { type: 'integer', minimum: 1 },
        compensate: {
          type: 'object',
          additionalProperties: false,
          required: ['tool'],
          properties: { tool: { $ref: '#/$defs/toolRef' }, input: { type: 'object' } },
        },
        locks: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 200 }, uniqueItems: true },
        approvers: { type: 'array', items: { $ref: '#/$defs/role' }, uniqueItems: true },
        message: { type: 'string', maxLength: 2000 },
        expiresInMs: { type: 'integer', minimum: 1 },
        if: {
          type: 'string',
          minLength: 1,
          maxLength: 2000,
          description:
            'CEL expression over input, steps and context (e.g. "steps.check.output.total > 100"); false: the step is SKIPPED. A step without one is SKIPPED when a dependency was.',
        },
        fallback: {
          type: 'object',
          additionalProperties: false,
          required: ['tool'],
          description: "Tool steps: runs once the step's attempts are exhausted; its output becomes the step's output.",
          properties: { tool: { $ref: '#/$defs/toolRef' }, input: { type: 'object' } },
        },
        continueOnError: {
          type: 'boolean',
          default: false,
          description: 'Tool steps: a step that still fails is FAILED but the run goes on; its dependents read null.',
        },
        durationMs: {
          type: 'integer',
          minimum: 0,
          maximum: 31_536_000_000,
          description: 'Sleep steps: how long to sleep, in ms (at most a year). Exactly one of durationMs and until.',
        },
        until: {
          type: 'string',
          minLength: 1,
          maxLength: 200,
          description: 'Sleep steps: an ISO 8601 date-time to sleep until; templates such as "{{ input.at }}" allowed.',
        },
        event: {
          type: 'string',
          pattern: '^[A-Za-z0-9_.:/-]{1,200}$',
          description: 'Wait steps: the name of the event to wait for (as sendEvent names it).',
        },
        match: {
          type: 'object',
          maxProperties: 50,
          description: "Wait steps: fields the event's data must hold with equal values; values may be templates.",
        },
      },
    },
  },
} as const;
