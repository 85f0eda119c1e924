import type { ModerationLogEntry, RoomBan, RoomMember, RoomRole, RoomSettings, RoomStanding } from '../state/room-standing.js';
import type { HttpClient } from './http-client.js';

/** What an owner or moderator may change (docs/moderation.md). */
export type SettingsPatch = Partial<Pick<RoomSettings, 'name' | 'topic' | 'announcement' | 'slowModeSeconds'>>;

/** The moderation routes of the REST API; failures are thrown as ApiError by HttpClient. */
export class ModerationClient {
  constructor(private readonly http: Pick<HttpClient, 'call'>) {}

  standing(roomId: string): Promise<RoomStanding> {
    return this.http.call('GET', `${room(roomId)}/settings`);
  }

  updateSettings(roomId: string, patch: SettingsPatch): Promise<RoomSettings> {
    return this.http.call('PATCH', `${room(roomId)}/settings`, patch);
  }

  async deleteRoom(roomId: string): Promise<void> {
    await this.http.call('DELETE', room(roomId));
  }

  async members(roomId: string, limit = 100): Promise<RoomMember[]> {
    return (await this.http.call<{ members: RoomMember[] }>('GET', `${room(roomId)}/members?limit=${limit}`)).members;
  }

  setRole(roomId: string, userId: string, role: Exclude<RoomRole, 'owner'>): Promise<RoomMember> {
    return this.http.call('PUT', `${room(roomId)}/members/${enc(userId)}/role`, { role });
  }

  async transfer(roomId: string, userId: string): Promise<void> {
    await this.http.call('POST', `${room(roomId)}/transfer`, { userId });
  }

  async kick(roomId: string, userId: string): Promise<void> {
    await this.http.call('DELETE', `${room(roomId)}/members/${enc(userId)}`);
  }

  async ban(roomId: string, userId: string): Promise<void> {
    await this.http.call('PUT', `${room(roomId)}/bans/${enc(userId)}`);
  }

  async unban(roomId: string, userId: string): Promise<void> {
    await this.http.call('DELETE', `${room(roomId)}/bans/${enc(userId)}`);
  }

  async bans(roomId: string, limit = 100): Promise<RoomBan[]> {
    return (await this.http.call<{ bans: RoomBan[] }>('GET', `${room(roomId)}/bans?limit=${limit}`)).bans;
  }

  /** Times a member out for `minutes`; 0 lifts the timeout. Resolves with its end (null: lifted). */
  async timeout(roomId: string, userId: string, minutes: number): Promise<string | null> {
    return (await this.http.call<{ until: string | null }>('PUT', `${room(roomId)}/timeouts/${enc(userId)}`, { minutes })).until;
  }

  async log(roomId: string, limit = 50): Promise<ModerationLogEntry[]> {
    return (await this.http.call<{ entries: ModerationLogEntry[] }>('GET', `${room(roomId)}/moderation-log?limit=${limit}`)).entries;
  }
}

const enc = encodeURIComponent;
const room = (roomId: string) => `/api/rooms/${enc(roomId)}`;
