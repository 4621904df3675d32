// Progress of a long read or write, reported by services and drawn by the CLI (a bar on a terminal,
// nothing otherwise).
export interface Progress {
  start(label: string, total: number): void;
  update(done: number): void;
  stop(): void;
}

export const silentProgress: Progress = { start() {}, update() {}, stop() {} };
