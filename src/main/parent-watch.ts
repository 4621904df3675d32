// `npx css-bot start` runs npm, which runs a shell, which runs this process. A SIGTERM to npm's pid
// is passed to the shell alone: the shell exits and this process would run on, holding its port.
// So a process npm started notices when its parent has gone (it is handed to another parent) and
// stops as it would on SIGTERM.
export function onParentGone(stop: () => void, intervalMs = 500): { cancel(): void } {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    stop();
  }, intervalMs);
  // The check alone never keeps the process alive.
  timer.unref();
  return { cancel: () => clearInterval(timer) };
}
