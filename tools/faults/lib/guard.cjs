// Nothing the fault suite starts may outlive it (a crashed or killed run would otherwise leave services
// and servers loading a machine other people share).
//  - preloaded into every service process (node --require …): when the suite's process is gone, the
//    service sends itself SIGTERM and exits 15 s later at the latest;
//  - run as `node guard.cjs <pid> …` beside each server (nats-server, FerretDB): when the suite is
//    gone, those pids get SIGTERM, then SIGKILL.
const parent = Number(process.env.SLADESK_FAULTS_PARENT_PID);
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
    if (require.main === module && pids.every((p) => !alive(p))) process.exit(0);
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
