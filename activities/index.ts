// Activity entry point: the worker registers what this module's factories return.
export {};
