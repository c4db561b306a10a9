// Nothing the benchmark starts may outlive it: if the benchmark dies without stopping its children
// (a crash, a SIGKILL), they would load the machine and the database server for ever.
//  - preloaded into every node process it starts (node --require …): when the benchmark is gone, the
//    process sends itself SIGTERM (a service still shuts down gracefully) and exits 15 s later at the latest;
//  - run as `node orphan-guard.cjs <pid> …` for the servers it starts (nats-server, FerretDB): when the
//    benchmark is gone, those pids get SIGTERM, then SIGKILL.
const parent = Number(process.env.SLADESK_BENCH_PARENT_PID);
const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const pids =
  require.main === module
    ? process.argv
        .slice(2)
        .map(Number)
        .filter((n) => n > 0)
    : [];
if (parent > 0) {
  const timer = setInterval(() => {
    if (alive(parent)) return;
    clearInterval(timer);
    if (require.main !== module) {
      setTimeout(() => process.exit(1), 15_000).unref();
      process.kill(process.pid, 'SIGTERM');
      return;
    }
    for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGTERM');
    setTimeout(() => {
      for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
      process.exit(0);
    }, 10_000);
  }, 1000);
  if (require.main !== module) timer.unref();
}
