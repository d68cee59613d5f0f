import { defineSearchAttributeKey } from '@temporalio/common';

// Custom search attributes the dev server registers at start (scripts/temporal.sh) and a production
// namespace needs once (`temporal operator search-attribute create`, see docs/operations.md).
// An operator finds an FR in the Web UI with e.g. `FlxpointFrId = "1234"`.
export const FR_ID = defineSearchAttributeKey('FlxpointFrId', 'KEYWORD');
export const SOURCE_ID = defineSearchAttributeKey('FlxpointSourceId', 'KEYWORD');
export const SOURCE_KEY = defineSearchAttributeKey('FlxpointSourceKey', 'KEYWORD');
export const FR_STEP = defineSearchAttributeKey('FlxpointFrStep', 'KEYWORD');

export const ALL_SEARCH_ATTRIBUTES = [FR_ID, SOURCE_ID, SOURCE_KEY, FR_STEP] as const;
