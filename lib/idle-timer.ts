/**
 * Calls `onIdle` once `ms` have passed since the last `touch()`: for caches that give their memory back when a
 * node goes quiet. The timer never keeps the process alive.
 */
export class IdleTimer {
  private timer: NodeJS.Timeout | null = null;
  constructor(
    private readonly ms: number,
    private readonly onIdle: () => void,
  ) {}
  touch(): void {
    if (this.timer !== null) {
      this.timer.refresh();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      this.onIdle();
    }, this.ms);
    this.timer.unref();
  }
}
