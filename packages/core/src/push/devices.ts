import type { Actor } from '../messaging/chat-service.js';
import type { Device, DevicePlatform } from '../domain/types.js';
import { notFound } from '../errors.js';
import type { Store } from '../store/store.js';

/** The push devices (FCM registration tokens) a user registers. */
export class DeviceService {
  constructor(private readonly store: Store) {}

  /** Registers a device for the actor (again: refreshes it). */
  register(actor: Actor, token: string, platform: DevicePlatform): Promise<Device> {
    return this.store.upsertDevice(actor.id, token, platform);
  }

  /** Unregisters one of the actor's devices; not_found when it is not theirs or unknown. */
  async unregister(actor: Actor, token: string): Promise<void> {
    if (!(await this.store.deleteDevice(actor.id, token))) throw notFound('device not found');
  }

  list(actor: Actor): Promise<Device[]> {
    return this.store.listDevices(actor.id);
  }
}
