import { describe, expect, it } from 'vitest';
import { BlockedUsers } from '../src/client/state/blocked-users.js';

describe('BlockedUsers', () => {
  it('lists by username and tells listeners about real changes only', () => {
    const blocked = new BlockedUsers();
    let changes = 0;
    const stop = blocked.subscribe(() => changes++);
    blocked.replace([
      { id: 'z', username: 'zoe' },
      { id: 'a', username: 'amir' },
    ]);
    expect(blocked.list().map((u) => u.username)).toEqual(['amir', 'zoe']);
    expect(changes).toBe(1);

    blocked.add({ id: 'a', username: 'amir' }); // already blocked: nothing changes
    blocked.remove('nobody');
    expect(changes).toBe(1);

    blocked.add({ id: 'm', username: 'mia' });
    expect(blocked.has('m')).toBe(true);
    blocked.remove('z');
    expect(blocked.has('z')).toBe(false);
    expect(blocked.list().map((u) => u.id)).toEqual(['a', 'm']);
    expect(changes).toBe(3);

    stop();
    blocked.replace([]);
    expect(changes).toBe(3);
    expect(blocked.list()).toEqual([]);
  });
});
