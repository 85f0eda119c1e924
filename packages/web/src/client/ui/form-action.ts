import { describeError } from '../api/api-error.js';

/**
 * The submit handler of a form that runs one action: clears the previous message, disables
 * `button` while the action runs, and puts a failure, worded by describeError, in `feedback`.
 * `onError` runs first on a failure (e.g. to clear stale results).
 */
export function submitAction(
  button: HTMLButtonElement,
  feedback: HTMLElement,
  action: () => Promise<void>,
  onError?: () => void,
): (event: SubmitEvent) => void {
  return (event) => {
    event.preventDefault();
    feedback.textContent = '';
    button.disabled = true;
    action()
      .catch((err: unknown) => {
        onError?.();
        feedback.textContent = describeError(err);
      })
      .finally(() => (button.disabled = false));
  };
}
