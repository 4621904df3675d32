// What every database benchmark needs around its run: clean-ups that always happen (success,
// failure, Ctrl-C), and timed steps for its data generation.

/** Something made for the benchmark, to remove at the end (database, Redis keys, processes). */
export type Cleanup = () => Promise<unknown>;

/**
 * Runs `run`, then every clean-up it registered, last first, whatever happens; on SIGINT or SIGTERM
 * it cleans up and exits 130.
 */
export async function runWithCleanups(
  log: (text: string) => void,
  run: (cleanups: Cleanup[]) => Promise<void>,
): Promise<void> {
  const cleanups: Cleanup[] = [];
  const cleanUp = async () => {
    for (let c = cleanups.pop(); c; c = cleanups.pop()) {
      await c().catch((e: Error) => log(`clean-up: ${e.message}`));
    }
  };
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
    log("interrupted: cleaning up");
    void cleanUp().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    await run(cleanups);
  } catch (error) {
    // Dropping the database ends the queries in progress: that failure is the interrupt's, and
    // the signal handler exits once everything is removed.
    if (interrupted) await new Promise(() => undefined);
    throw error;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await cleanUp();
  }
}

/** Times named steps, logs each as it ends, and keeps them in order. */
export function stepTimer(log: (text: string) => void) {
  const steps: [string, number][] = [];
  const step = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const result = await work();
    const seconds = (performance.now() - started) / 1000;
    steps.push([name, seconds]);
    log(`  ${name}: ${seconds.toFixed(1)} s`);
    return result;
  };
  return { steps, step };
}
