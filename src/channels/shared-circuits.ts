/**
 * Circuit breakers shared by the instances on one PostgreSQL: a circuit this instance opens (or closes with a
 * successful probe) is written to `channel_circuits` and announced; the others adopt it when the notice arrives,
 * and read them all at start and after a lost notification connection. So one instance's finding rests the
 * channel for all, while each call still asks its own HealthBoard (no database read on the call path).
 */
import type { Database } from '../store/db.js';
import { listCircuits, saveCircuit } from '../store/circuits.js';
import type { HealthBoard, SharedCircuit } from './health.js';

export class SharedCircuits {
  constructor(
    private readonly database: Database,
    private readonly health: HealthBoard,
    private readonly onTrouble: (err: unknown) => void = () => undefined,
  ) {
    health.onCircuit = (channelId, circuit) => this.publish(channelId, circuit);
  }

  /** Reads the shared circuits (one channel's, or all) into this instance's board. */
  async refresh(channelId?: string): Promise<void> {
    try {
      for (const row of await listCircuits(this.database, channelId))
        this.health.adopt(row.channel_id, { state: row.state, openedAt: row.opened_at });
    } catch (err) {
      this.onTrouble(err);
    }
  }

  private publish(channelId: string, { state, openedAt }: SharedCircuit): void {
    saveCircuit(this.database, { channel_id: channelId, state, opened_at: openedAt }, Date.now()).catch(
      this.onTrouble,
    );
  }
}
