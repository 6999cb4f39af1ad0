/** What a stream input (stdin, syslog) needs of the agent around it. */
export interface StreamHooks {
  /** Counts a record's bytes into the memory bound. */
  add(bytes: number): void;
  /** Whether the memory bound is reached: the input should stop taking data until `resume()` is called. */
  full(): boolean;
  /** Tells the agent's loop that records were added (an open batch may have to be sealed on time). */
  wake(): void;
  log(m: string): void;
  /** An error the operator should see: logged, and the heartbeat's `last_error` until another comes. */
  error(m: string): void;
}
