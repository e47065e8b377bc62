/*
 * A join the server turned away for now comes back by itself: a 503 whose
 * error names `retry_after_s` (many interviews starting on the server at once,
 * the server at capacity, the interview moving between servers) is tried again
 * after that wait. The candidate is told once how long it is (a countdown
 * would make a screen reader announce every second) and keeps the Reconnect
 * button to try at once. After MAX_AUTO_RETRIES waits in a row the page stops
 * trying on its own.
 */

const MAX_AUTO_RETRIES = 20;
const MAX_WAIT_S = 120;

let timer = null;
let tries = 0;

/** The wait the server asked for, in whole seconds, or null when it named none. */
export function retryAfterSeconds(result) {
  const details = result && result.error ? result.error.details : null;
  const value = details && typeof details === 'object' ? details.retry_after_s : undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) return null;
  return Math.min(Math.max(Math.ceil(value), 1), MAX_WAIT_S);
}

/** Calls `retry` after `seconds`; false (and nothing scheduled) once the page has waited enough. */
export function scheduleRetry(seconds, retry) {
  cancelRetry();
  if (tries >= MAX_AUTO_RETRIES) return false;
  tries += 1;
  timer = window.setTimeout(() => {
    timer = null;
    retry();
  }, seconds * 1000);
  return true;
}

/** A connection attempt starts (by the timer or the Reconnect button): no other is pending. */
export function cancelRetry() {
  if (timer !== null) {
    window.clearTimeout(timer);
    timer = null;
  }
}

/** The call connected: a later wait starts a fresh count. */
export function resetRetries() {
  tries = 0;
}
