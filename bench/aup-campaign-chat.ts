import type { Benchmark } from './lib/types.ts';

export const aupCampaignChatBenchmarks: Benchmark[] = [];
