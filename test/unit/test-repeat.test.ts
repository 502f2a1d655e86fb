/**
 * `npm run test:repeat`: its arguments, what it reads from vitest's JSON report, and the table
 * it ends with (scripts/test/repeat-report.ts).
 */

import { describe, expect, it } from 'vitest';
import {
  failuresOf,
  parseRepeatArgs,
  RepeatUsageError,
  summarize,
} from '../../scripts/test/repeat-report.ts';

describe('test:repeat arguments', () => {
  it('reads the number of runs, --busy in any position, and vitest arguments after --', () => {
    expect(parseRepeatArgs(['10'])).toEqual({ runs: 10, busy: false, vitestArgs: [] });
    expect(parseRepeatArgs(['--busy', '3'])).toEqual({ runs: 3, busy: true, vitestArgs: [] });
    expect(parseRepeatArgs(['5', '--busy', '--', 'test/faults', '--bail=1'])).toEqual({
      runs: 5,
      busy: true,
      vitestArgs: ['test/faults', '--bail=1'],
    });
  });

  it.each([
    [[]],
    [['--busy']],
    [['0']],
    [['1001']],
    [['ten']],
    [['3', '4']],
    [['3', '--bussy']],
    [['-1']],
  ])('refuses %j', (argv) => {
    expect(() => parseRepeatArgs(argv)).toThrow(RepeatUsageError);
  });
});

describe('failures in a vitest JSON report', () => {
  it('names each failed test by file and titles, and a file that failed without a failed test', () => {
    const report = {
      testResults: [
        {
          name: '/repo/test/a.test.ts',
          status: 'failed',
          assertionResults: [
            { ancestorTitles: ['G02 bombs'], title: 'G02 commas', status: 'failed' },
            { ancestorTitles: ['G02 bombs'], title: 'G02 spaces', status: 'passed' },
            { ancestorTitles: [], title: 'top level', status: 'failed' },
          ],
        },
        {
          name: '/repo/test/b.test.ts',
          status: 'failed',
          message: 'beforeAll',
          assertionResults: [],
        },
        { name: '/repo/test/c.test.ts', status: 'passed', assertionResults: [] },
        { name: '/elsewhere/d.test.ts', status: 'failed' },
      ],
    };
    expect(failuresOf(report, '/repo')).toEqual([
      'test/a.test.ts > G02 bombs > G02 commas',
      'test/a.test.ts > top level',
      'test/b.test.ts (the file itself)',
      '/elsewhere/d.test.ts (the file itself)',
    ]);
    expect(failuresOf({}, '/repo/')).toEqual([]);
  });
});

describe('the closing table', () => {
  it('says so when every run passed', () => {
    const { text, failed } = summarize([
      { run: 1, failures: [], failedPasses: [] },
      { run: 2, failures: [], failedPasses: [] },
    ]);
    expect(failed).toBe(false);
    expect(text).toBe('All 2 runs passed.');
  });

  it('lists every test that ever failed with its runs, most often first, and the failed runs', () => {
    const { text, failed } = summarize([
      { run: 1, failures: ['t/x > b'], failedPasses: ['the parallel pass'] },
      { run: 2, failures: [], failedPasses: [] },
      { run: 3, failures: ['t/x > a', 't/x > b', 't/x > b'], failedPasses: ['the parallel pass'] },
      { run: 4, failures: [], failedPasses: ['the serial timing pass'] },
    ]);
    expect(failed).toBe(true);
    expect(text.split('\n')).toEqual([
      'Tests that failed at least once:',
      '',
      '  failed   in runs          test',
      '  2/4      #1 #3            t/x > b',
      '  1/4      #3               t/x > a',
      '',
      "Run #4: the serial timing pass failed without a failed test in the report (see that run's output).",
      '3 of 4 runs failed: #1 #3 #4.',
    ]);
  });
});
