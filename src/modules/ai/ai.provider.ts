import OpenAI from 'openai';
import { AppError } from '../../platform/errors.ts';

/**
 * One chat-completions call through the `openai` SDK against any OpenAI-compatible endpoint
 * (OpenAI, Azure OpenAI, Ollama, vLLM, LM Studio). Every way it can go wrong ends in an AppError
 * with a sentence a user understands: no answer in time (AI_TIMEOUT), the provider's own 429, an
 * error status, an unreachable endpoint (AI_PROVIDER_ERROR). It never hangs: one deadline covers
 * the whole call, the stream included.
 */
export interface ProviderTarget {
  baseUrl: string;
  model: string;
  apiKey: string | null;
}

export interface ChatMessage {
  role: 'system' | 'user';
  content: string;
}

export interface CompletionResult {
  text: string;
  promptTokens: number;
  completionTokens: number;
  /** False when the provider reported no usage and the tokens were estimated from the length. */
  usageReported: boolean;
}

/** Roughly four characters a token in the languages we write: the estimate when a server reports no usage. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

export async function complete(
  target: ProviderTarget,
  messages: ChatMessage[],
  options: {
    timeoutMs: number;
    maxTokens: number;
    /** Given: the answer is streamed and each piece of text is passed on as it arrives. */
    onDelta?: (text: string) => void;
    /** The caller gave up (the browser closed the stream). */
    signal?: AbortSignal;
  },
): Promise<CompletionResult> {
  const client = new OpenAI({
    baseURL: target.baseUrl,
    // Local servers need no key, but the SDK insists on one.
    apiKey: target.apiKey ?? 'no-key',
    // Our own deadline below covers the whole call, stream included; the SDK's is only a backstop.
    timeout: options.timeoutMs + 1000,
    maxRetries: 0,
  });
  const deadline = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    deadline.abort();
  }, options.timeoutMs);
  const onCallerAbort = () => deadline.abort();
  options.signal?.addEventListener('abort', onCallerAbort);
  const prompt = messages.map((m) => m.content).join('\n');
  try {
    if (!options.onDelta) {
      const answer = await client.chat.completions.create(
        { model: target.model, messages, max_tokens: options.maxTokens, temperature: 0.8 },
        { signal: deadline.signal },
      );
      const text = answer.choices?.[0]?.message?.content ?? '';
      return {
        text,
        promptTokens: answer.usage?.prompt_tokens ?? estimateTokens(prompt),
        completionTokens: answer.usage?.completion_tokens ?? estimateTokens(text),
        usageReported: Boolean(answer.usage),
      };
    }
    const stream = await client.chat.completions.create(
      {
        model: target.model,
        messages,
        max_tokens: options.maxTokens,
        temperature: 0.8,
        stream: true,
        stream_options: { include_usage: true },
      },
      { signal: deadline.signal },
    );
    let text = '';
    let usage: { prompt_tokens: number; completion_tokens: number } | null = null;
    for await (const chunk of stream) {
      const delta = chunk.choices?.[0]?.delta?.content;
      if (delta) {
        text += delta;
        options.onDelta(delta);
      }
      if (chunk.usage) usage = chunk.usage;
    }
    // An aborted stream may simply end: a cut-off answer must not pass for a whole one.
    if (deadline.signal.aborted) throw new OpenAI.APIUserAbortError();
    return {
      text,
      promptTokens: usage?.prompt_tokens ?? estimateTokens(prompt),
      completionTokens: usage?.completion_tokens ?? estimateTokens(text),
      usageReported: usage !== null,
    };
  } catch (error) {
    throw providerError(error, target, timedOut, options.timeoutMs);
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onCallerAbort);
  }
}

function providerError(
  error: unknown,
  target: ProviderTarget,
  timedOut: boolean,
  timeoutMs: number,
): AppError {
  if (error instanceof AppError) return error;
  const seconds = Math.round(timeoutMs / 100) / 10;
  if (timedOut || error instanceof OpenAI.APIConnectionTimeoutError)
    return new AppError(
      'AI_TIMEOUT',
      `The AI model did not finish answering within ${seconds} s; try again or ask for fewer variants`,
    );
  if (error instanceof OpenAI.APIUserAbortError)
    return new AppError('AI_PROVIDER_ERROR', 'The request to the AI model was cancelled');
  if (error instanceof OpenAI.APIError && typeof error.status === 'number') {
    const message = providerMessage(error);
    if (error.status === 429) {
      const retryAfter = Number(error.headers?.get('retry-after'));
      return new AppError(
        'AI_PROVIDER_ERROR',
        `The AI provider is refusing more requests for now (429${message ? `: ${message}` : ''}); try again${Number.isFinite(retryAfter) && retryAfter > 0 ? ` in ${retryAfter} s` : ' in a minute'}`,
        [],
        {
          provider_status: 429,
          ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retry_after: retryAfter } : {}),
        },
      );
    }
    if (error.status === 401 || error.status === 403)
      return new AppError(
        'AI_PROVIDER_ERROR',
        `The AI provider rejected the API key (${error.status}); check it in Settings › AI`,
        [],
        { provider_status: error.status },
      );
    if (error.status === 404)
      return new AppError(
        'AI_PROVIDER_ERROR',
        `The AI provider does not know the model "${target.model}" or the address ${target.baseUrl} (404)`,
        [],
        { provider_status: 404 },
      );
    return new AppError(
      'AI_PROVIDER_ERROR',
      `The AI provider answered with an error (${error.status}${message ? `: ${message}` : ''})`,
      [],
      { provider_status: error.status },
    );
  }
  if (error instanceof OpenAI.APIConnectionError)
    return new AppError('AI_PROVIDER_ERROR', `The AI provider could not be reached at ${target.baseUrl}`);
  // A stream that broke off or carried something that is not JSON.
  return new AppError(
    'AI_PROVIDER_ERROR',
    `The AI provider's answer could not be read (${error instanceof Error ? error.message : String(error)})`,
  );
}

function providerMessage(error: InstanceType<typeof OpenAI.APIError>): string {
  const body = error.error as { message?: unknown } | undefined;
  const text = typeof body?.message === 'string' ? body.message : '';
  return text.slice(0, 200);
}
