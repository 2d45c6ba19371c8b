import type { ConsentRecord } from '../profile/profile-types.ts';
import { ConsentRecords, type ConsentStore } from './consent-store.ts';

/** API consent records in this process only (`state.store: memory`): lost when it stops. */
export class MemoryConsentStore implements ConsentStore {
  readonly overlay = new ConsentRecords();

  get(user: string): ConsentRecord | undefined {
    return this.overlay.record(user);
  }

  put(user: string, record: ConsentRecord): Promise<void> {
    this.overlay.set(user, record);
    return Promise.resolve();
  }

  delete(user: string): Promise<boolean> {
    return Promise.resolve(this.overlay.remove(user));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
