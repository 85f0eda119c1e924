import type { HttpClient } from './api/http-client.js';
import type { MemberRoom, Room, UserSummary } from './api/types.js';
import { BlockedUsers } from './state/blocked-users.js';
import { BlockList } from './ui/block-list.js';
import { DirectHeader } from './ui/direct-header.js';
import { PeopleSearch } from './ui/people-search.js';
import { UserMenu } from './ui/user-menu.js';

export interface DirectMessagesHost {
  http: HttpClient;
  myId(): string | null;
  /** Shows a room the server just returned (refreshing my rooms if it is new to me). */
  showRoom(room: Room): Promise<void>;
  /** Reloads a room's history from REST: what the server hides changes with a block. */
  reloadHistory(roomId: string): void;
  /** The direct room with `userId`, if I have one listed. */
  directRoomWith(userId: string): MemberRoom | undefined;
}

/**
 * Direct messages, people search and blocking in the web client (docs/conversations-dms.md):
 * owns the block list and the views that use it, and talks to the REST API for them.
 */
export class DirectMessages {
  readonly blocked = new BlockedUsers();
  readonly search: PeopleSearch;
  readonly menu: UserMenu;
  readonly header: DirectHeader;
  readonly blockList: BlockList;
  readonly #host: DirectMessagesHost;

  constructor(host: DirectMessagesHost) {
    this.#host = host;
    const isBlocked = (userId: string) => this.blocked.has(userId);
    const actions = {
      openDirect: (user: UserSummary) => this.open(user.id),
      block: (user: UserSummary) => this.block(user),
      unblock: (user: UserSummary) => this.unblock(user),
      isBlocked,
      myId: () => host.myId(),
    };
    this.search = new PeopleSearch({ search: (prefix, limit) => host.http.searchUsers(prefix, limit), openDirect: actions.openDirect, myId: actions.myId });
    this.menu = new UserMenu(actions);
    this.header = new DirectHeader(actions);
    this.blockList = new BlockList(this.blocked, actions);
    this.blocked.subscribe(() => this.header.refresh());
  }

  /** Loads who I block (after signing in). */
  async load(): Promise<void> {
    try {
      this.blocked.replace(await this.#host.http.blockedUsers());
    } catch (err) {
      this.blockList.showError(err);
    }
  }

  /** Forgets everything of the signed-out user. */
  reset(): void {
    this.blocked.replace([]);
    this.search.reset();
    this.menu.close();
  }

  /** Opens THE direct conversation with `userId` (the server creates it on first use). */
  async open(userId: string): Promise<void> {
    await this.#host.showRoom(await this.#host.http.openDirect(userId));
  }

  async block(user: UserSummary): Promise<void> {
    await this.#host.http.block(user.id);
    this.blocked.add(user);
    this.#reloadDirectWith(user.id);
  }

  async unblock(user: UserSummary): Promise<void> {
    await this.#host.http.unblock(user.id);
    this.blocked.remove(user.id);
    this.#reloadDirectWith(user.id);
  }

  #reloadDirectWith(userId: string): void {
    const room = this.#host.directRoomWith(userId);
    if (room) this.#host.reloadHistory(room.id);
  }
}
