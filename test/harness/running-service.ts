/** A started service and how to stop it; `connection` is what test files receive. */
export interface RunningService<Connection> {
  connection: Connection;
  description: string;
  stop(): Promise<void>;
}
