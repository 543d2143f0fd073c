/** This process no longer holds the collection's leader lock: stop, drop the state, re-contend. */
export class LostLeadershipError extends Error {
  override readonly name = 'LostLeadershipError';
}
