import { chatCompletion, errorReply, startFakeOpenAI } from '@weft/test-utils';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';

// The fake OpenAI server is shared by other packages' tests; these pin what they rely on.
describe('fake OpenAI server', () => {
  it('answers the SDK from its script in order, repeating the last reply, and records requests', async () => {
    const fake = await startFakeOpenAI([chatCompletion('first'), chatCompletion('again')]);
    try {
      const client = new OpenAI({ apiKey: 'sk-x', baseURL: fake.baseURL, maxRetries: 0 });
      const texts: Array<string | null | undefined> = [];
      for (let i = 0; i < 3; i++) {
        const completion = await client.chat.completions.create({
          model: 'm',
          messages: [{ role: 'user', content: `q${i}` }],
        });
        texts.push(completion.choices[0]?.message.content);
      }
      expect(texts).toEqual(['first', 'again', 'again']);
      expect(fake.requests.map((r) => (r.body.messages as Array<{ content: string }>)[0]?.content)).toEqual([
        'q0',
        'q1',
        'q2',
      ]);
    } finally {
      await fake.close();
    }
  });

  it('streams a scripted completion as chunks when asked, with usage', async () => {
    const fake = await startFakeOpenAI([
      chatCompletion('Hello from the stream', { prompt_tokens: 7, completion_tokens: 5 }),
    ]);
    try {
      const client = new OpenAI({ apiKey: 'sk-x', baseURL: fake.baseURL, maxRetries: 0 });
      const stream = await client.chat.completions.create({
        model: 'm',
        messages: [{ role: 'user', content: 'hi' }],
        stream: true,
        stream_options: { include_usage: true },
      });
      let text = '';
      let chunks = 0;
      let usage: OpenAI.CompletionUsage | null | undefined;
      for await (const chunk of stream) {
        chunks++;
        text += chunk.choices[0]?.delta.content ?? '';
        if (chunk.usage) usage = chunk.usage;
      }
      expect(text).toBe('Hello from the stream');
      expect(chunks).toBe(4);
      expect(usage).toEqual({ prompt_tokens: 7, completion_tokens: 5, total_tokens: 12 });
    } finally {
      await fake.close();
    }
  });

  it('returns scripted errors as the SDK’s typed errors', async () => {
    const fake = await startFakeOpenAI([errorReply(429, 'slow down', { 'retry-after': '3' })]);
    try {
      const client = new OpenAI({ apiKey: 'sk-x', baseURL: fake.baseURL, maxRetries: 0 });
      const error = await client.chat.completions.create({ model: 'm', messages: [] }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OpenAI.RateLimitError);
      expect((error as InstanceType<typeof OpenAI.RateLimitError>).headers.get('retry-after')).toBe('3');
    } finally {
      await fake.close();
    }
  });
});
