/** Thrown by a command's action to end with an exit code; main() turns it into the code. */
export class Exit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}
