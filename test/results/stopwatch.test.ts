import { describe, expect, it } from 'vitest';
import { parseStopWatch } from '../../src/results/index.js';
import { fixture } from './helpers.js';

describe('StopWatch timer lines', () => {
  it('reads the old unquoted writer: commas in msg do not shift columns', () => {
    const { value, problems } = parseStopWatch(fixture('legacy-job.log'));
    expect(problems).toEqual([]);
    expect(value).toEqual([
      {
        timer: 'total', status: 'ok', seconds: 95.01, sum: 95.01, start: '2022-05-10T22:00:00.000Z', tag: '', msg: '',
        node: 'udc-an38-1', user: 'alice', system: 'Linux', platformVersion: '#1 SMP Tue Mar 8 12:00:00 UTC 2022', line: 22,
      },
      {
        timer: 'training', status: 'ok', seconds: 88.2, sum: 88.2, start: '2022-05-10T22:00:01.000Z', tag: '', msg: 'epochs 3, batch 32, lr "0.001"',
        node: 'udc-an38-1', user: 'alice', system: 'Linux', platformVersion: '#1 SMP Tue Mar 8 12:00:00 UTC 2022', line: 23,
      },
    ]);
  });

  it('reads RFC-4180 quoted lines', () => {
    const text = [
      '# csv,timer,status,time,sum,start,tag,msg,uname.node,user,uname.system,platform.version',
      '# csv,"load, data",ok,1.5,3.0,2026-11-25 15:00:00,gpu,"a, ""b"", c",n1,"u,v",Linux,"#1 SMP, x"',
    ].join('\n');
    const { value, problems } = parseStopWatch(text);
    expect(problems).toEqual([]);
    expect(value[0]).toMatchObject({ timer: 'load, data', seconds: 1.5, sum: 3, tag: 'gpu', msg: 'a, "b", c', user: 'u,v', platformVersion: '#1 SMP, x' });
  });

  it('an unquoted message that begins with a quote still rejoins', () => {
    const { value } = parseStopWatch('# csv,t,ok,1,1,2026-11-25 15:00:00,,"hi", there,n,u,Linux,v\n');
    expect(value[0]?.msg).toBe('"hi", there');
  });

  it('follows a header with other columns (an older release without msg)', () => {
    const text = '# csv,timer,status,time,sum,start,tag,uname.node,user,uname.system,platform.version\n# csv,a,ok,2,2,2026-11-25 15:00:00,,n,u,Linux,v\n';
    expect(parseStopWatch(text).value[0]).toMatchObject({ timer: 'a', seconds: 2, msg: '', node: 'n', platformVersion: 'v' });
  });

  it('skips short or unreadable lines with warnings, never throws', () => {
    const { value, problems } = parseStopWatch('# csv,a,ok\n# csv,b,ok,fast,1,yesterday,,m,n,u,s,v\nfoo # csv,c\n');
    expect(value).toHaveLength(1);
    expect(value[0]).toMatchObject({ timer: 'b', sum: 1 });
    expect(value[0]?.seconds).toBeUndefined();
    expect(problems.map((p) => [p.code, p.line])).toEqual([['EG7020', 1], ['EG7021', 2], ['EG7021', 2]]);
  });
});
