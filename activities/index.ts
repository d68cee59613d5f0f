// Activity factories and their types. Workflows import the types only (`import type`), never values.
export {
  createFlxpointActivities,
  type FlxpointActivities,
  type FrRef,
  type ListPageResult,
} from './flxpoint-activities';
export {
  createPipelineActivities,
  type PipelineActivities,
  type PipelineActivityDeps,
} from './pipeline-activities';
