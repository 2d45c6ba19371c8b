/**
 * `npm start` runs the guard as npm's child. npm passes SIGINT and SIGTERM on (the start script
 * `exec`s node, so no shell sits between them) but dies of a SIGHUP without passing it on, and a
 * guard whose npm is gone would stay bound to its ports with nobody to stop it. So when npm
 * started the guard, the guard watches for its parent to go and then stops as on SIGTERM.
 */
export function watchParent(env: Readonly<Record<string, string | undefined>>, onGone: () => void, intervalMs = 1_000): () => void {
  if (env.npm_lifecycle_event === undefined) {
    return () => {};
  }
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid !== parent) {
      clearInterval(timer);
      onGone();
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
