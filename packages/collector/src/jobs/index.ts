/** Jobs (docs/ARCHITECTURE.md#jobs): planning, running over the agents' streams, storing, credentials in flight only. */
export { type ClusterFacts, clusterFacts } from "./cluster-facts.js";
export { type AgentSessions, CommandChannel, type CommandOutcome } from "./command-channel.js";
export { type CommandPreparer, commandPreparer } from "./command-preparer.js";
export { describeSuccess, finalJobState, mergeResults, resultProblem } from "./job-outcome.js";
export { type JobPlan, type PlanInput, planJob } from "./job-planner.js";
export { parseJobRequest } from "./job-request.js";
export { DEFAULT_CONCURRENCY, JobRunner, type JobRunnerOptions, type JobsApi } from "./job-runner.js";
export { ACTIVE_JOB_STATES, type AuditEntry, JobStore, type NewJob, type NewJobNode } from "./job-store.js";
export { type KnownNode, NO_LABEL_SOURCE, selectNodes } from "./node-selection.js";
export {
  DEFAULT_BACKOFF,
  DEFAULT_PRUNE_TIMEOUT_MS,
  DEFAULT_PULL_TIMEOUT_MS,
  DEFAULT_RETRIES,
  retryDelay,
} from "./node-task.js";
export { protectedReferences, pruneCommand, staleImageIds } from "./prune-facts.js";
export { pullAuth, withCredentials } from "./pull-credentials.js";
