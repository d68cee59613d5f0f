// Workflow entry point for the worker bundle. Every workflow type the worker runs is exported here.
export {};
