// Runs Gemini CLI's own hook machinery (registry, planner, runner,
// aggregator from @google/gemini-cli-core) on one BeforeTool event, with the
// hooks of the settings file given, and prints what Gemini CLI would do.
//   node runner.mjs SETTINGS.json EVENT.json
import fs from 'node:fs';
import { HookRegistry } from '@google/gemini-cli-core/dist/src/hooks/hookRegistry.js';
import { HookPlanner } from '@google/gemini-cli-core/dist/src/hooks/hookPlanner.js';
import { HookRunner } from '@google/gemini-cli-core/dist/src/hooks/hookRunner.js';
import { HookAggregator } from '@google/gemini-cli-core/dist/src/hooks/hookAggregator.js';

const [settingsPath, eventPath] = process.argv.slice(2);
const settings = JSON.parse(fs.readFileSync(settingsPath, 'utf8'));
const event = JSON.parse(fs.readFileSync(eventPath, 'utf8'));
const config = {
  isTrustedFolder: () => true,
  getHooks: () => settings.hooks,
  getProjectHooks: () => undefined,
  getDisabledHooks: () => settings.hooksConfig?.disabled ?? [],
  getExtensions: () => [],
  getProjectRoot: () => event.cwd,
  storage: { getPlansDir: () => event.cwd },
  sanitizationConfig: { enableEnvironmentVariableRedaction: false, allowedEnvironmentVariables: [], blockedEnvironmentVariables: [] },
};
const registry = new HookRegistry(config);
await registry.initialize();
const plan = new HookPlanner(registry).createExecutionPlan('BeforeTool', { toolName: event.tool_name });
if (!plan) {
  console.log(JSON.stringify({ matched: false }));
  process.exit(0);
}
const results = await new HookRunner(config).executeHooksParallel(plan.hookConfigs, 'BeforeTool', event);
const merged = new HookAggregator().aggregateResults(results, 'BeforeTool');
const out = merged.finalOutput;
console.log("RESULT " + JSON.stringify({
  matched: true,
  timeouts: plan.hookConfigs.map((h) => h.timeout),
  failures: results.filter((r) => !r.success).map((r) => String(r.error ?? r.exitCode)),
  blocked: out?.getBlockingError?.().blocked ?? false,
  ask: out?.isAskDecision?.() ?? false,
  reason: out?.getEffectiveReason?.() ?? '',
}));
