import SQLite from 'better-sqlite3';
const db = new SQLite('/tmp/t.db');
db.pragma('journal_mode = WAL'); db.pragma('synchronous = NORMAL');
for (const p of (process.argv[2] ?? '').split(';').filter(Boolean)) db.pragma(p);
const ids = db.prepare('select id from task_jobs limit 20000').all().map(r => r.id);
const upd = db.prepare('update task_jobs set next_poll_at = ?, lease_token = ? where id = ?');
const begin = db.prepare('begin'), commit = db.prepare('commit');
let tc = 0, tu = 0, tmax = 0;
const N = 10000;
for (let i = 0; i < N; i++) {
  let t = process.hrtime.bigint();
  begin.run(); upd.run(Date.now() + i, 'x' + i, ids[i]);
  let t2 = process.hrtime.bigint(); tu += Number(t2 - t);
  commit.run(); const c = Number(process.hrtime.bigint() - t2); tc += c; tmax = Math.max(tmax, c);
}
console.log(process.argv[2] ?? '', 'update us', (tu / N / 1e3).toFixed(1), 'commit us', (tc / N / 1e3).toFixed(1), 'max commit ms', (tmax / 1e6).toFixed(1));
