import type { ModerationLogEntry } from '../state/room-standing.js';
import { el, replaceChildren, userText } from './dom.js';
import { displayText, fullTime } from './format.js';

/** The room's moderation log, newest first (moderators). */
export class ModerationLogView {
  readonly element = el('ol', { class: 'moderation-log', attrs: { 'aria-label': 'Moderation log' } });

  /** `names`: usernames of known users by id, for the entries' targets. */
  render(entries: readonly ModerationLogEntry[], names: ReadonlyMap<string, string>): void {
    if (entries.length === 0) return replaceChildren(this.element, el('li', { class: 'hint' }, 'Nothing logged yet.'));
    replaceChildren(
      this.element,
      ...entries.map((entry) =>
        el(
          'li',
          { attrs: { 'data-action': entry.action } },
          userText(entry.actorUsername ?? 'someone'),
          ` ${describeAction(entry, entry.targetId === null ? null : (names.get(entry.targetId) ?? 'a former member'))} `,
          el('time', { class: 'meta', attrs: { datetime: entry.createdAt } }, fullTime(entry.createdAt)),
        ),
      ),
    );
  }
}

/** What an entry did, in words (the actor's name goes before it). */
export function describeAction(entry: Pick<ModerationLogEntry, 'action' | 'detail'>, target: string | null): string {
  const d = entry.detail;
  const who = target ?? 'someone';
  switch (entry.action) {
    case 'role':
      return d.role === 'moderator' ? `made ${who} a moderator` : `made ${who} a member`;
    case 'transfer':
      return `handed the room to ${who}`;
    case 'kick':
      return `kicked ${who}`;
    case 'ban':
      return `banned ${who}`;
    case 'unban':
      return `unbanned ${who}`;
    case 'timeout':
      return d.minutes === 0 ? `lifted the timeout of ${who}` : `timed out ${who} for ${String(d.minutes)} min`;
    case 'slow-mode':
      return d.seconds === 0 ? 'turned slow mode off' : `set slow mode to ${String(d.seconds)} s`;
    case 'announcement':
      return d.announcement === true ? 'made this an announcement room' : 'let everyone post again';
    case 'rename':
      return `renamed the room to “${displayText(String(d.to))}”`;
    case 'topic':
      return d.topic === '' ? 'cleared the topic' : `set the topic to “${displayText(String(d.topic))}”`;
    case 'delete-message':
      return `deleted a message of ${who}`;
    default:
      return String(entry.action);
  }
}
