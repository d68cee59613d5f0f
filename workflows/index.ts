// Workflow entry point for the worker bundle: every workflow type the worker runs is exported here.
export { pollFulfillmentRequestsWorkflow } from './poll-fulfillment-requests';
export { processFulfillmentRequestWorkflow } from './process-fulfillment-request';
export { inventorySyncWorkflow } from './inventory-sync';
export { inventoryUrgentWorkflow } from './inventory-urgent';
