import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { isoDate, nonEmpty, positiveInt, shipmentItem, sourceKey } from '../../client/cli/args';
import { listQuery } from '../../client/cli/frs-list';
import { table } from '../../client/cli/output';

// The CLI's checks that run before any call to Temporal, and its configuration without Flxpoint.

describe('CLI arguments', () => {
  it('accepts positive integers only', () => {
    expect(positiveInt('7')).toBe(7);
    for (const bad of ['0', '-1', '1.5', 'x', '', '99999999999999999999']) {
      expect(() => positiveInt(bad), bad).toThrow(InvalidArgumentError);
    }
  });

  it('parses repeatable items and rejects anything else', () => {
    expect(shipmentItem('17:2', shipmentItem('3:1'))).toEqual([
      { id: 3, quantity: 1 },
      { id: 17, quantity: 2 },
    ]);
    for (const bad of ['17', '17:0', 'a:1', '17:2:3', ':2'])
      expect(() => shipmentItem(bad), bad).toThrow(/itemId/);
  });

  it('checks reasons, source keys and dates', () => {
    expect(() => nonEmpty('   ')).toThrow(/empty/);
    expect(nonEmpty(' why ')).toBe('why');
    expect(() => sourceKey('Main')).toThrow(/source key/);
    expect(sourceKey('east-2')).toBe('east-2');
    expect(() => isoDate('yesterday')).toThrow(/ISO/);
    expect(isoDate('2026-05-01T00:00:00Z').toISOString()).toBe('2026-05-01T00:00:00.000Z');
  });
});

describe('frs list query', () => {
  it('combines the filters into one visibility query with the search attributes', () => {
    expect(listQuery({ source: 'main', fr: 7, step: 'awaiting_shipment_overdue', status: 'running' })).toBe(
      `WorkflowType = 'processFulfillmentRequestWorkflow' AND FlxpointSourceKey = "main" AND FlxpointFrId = "7" ` +
        `AND FlxpointFrStep = "awaiting_shipment_overdue" AND ExecutionStatus = 'Running'`,
    );
    expect(listQuery({ status: 'all' })).toBe(`WorkflowType = 'processFulfillmentRequestWorkflow'`);
  });
});

describe('CLI output', () => {
  it('aligns a table and shows missing values as -', () => {
    expect(
      table(
        [
          { a: 'x', b: null },
          { a: 'longer', b: 2 },
        ],
        ['a', 'b'],
      ),
    ).toBe('A       B\nx       -\nlonger  2');
    expect(table([], ['a'])).toBe('(none)');
  });
});
