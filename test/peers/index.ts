// Local stand-ins for the messaging providers, for tests and benchmarks: each starts on a free
// port of 127.0.0.1, speaks the provider's documented shapes, injects faults, signs webhooks.
export { type EvolutionPeer, evolutionError, startEvolutionPeer } from './evolution.ts';
export { type Fault, postWebhook, startHttpPeer } from './http-peer.ts';
export { type MetaPeer, metaError, startMetaPeer } from './meta-graph.ts';
export { fakeAnswer, type OpenAiFault, type OpenAiPeer, startOpenAiPeer } from './openai.ts';
export { type SmtpSink, startSmtpSink } from './smtp-sink.ts';
export { signTwilio, startTwilioPeer, type TwilioPeer, twilioError } from './twilio.ts';
