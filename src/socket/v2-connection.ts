import type { EngineSession } from '../engine/index.js';
import type { WireFormat } from './adapter.js';
import { INVALID_NAMESPACE } from './client.js';
import { Connection, type ConnectionHost } from './connection.js';
import type { Packet } from './packet.js';
import type { ConnectError } from './types.js';
import { fromV2Packet, socketIoV2Format, v2RefusalPacket, v2SocketId } from './v2-protocol.js';

/**
 * An Engine.IO v3 session (`allowEIO3`) seen from Socket.IO: a client of the v4 protocol
 * (socket.io-client 2.x). It is in the main namespace without asking, as socket.io connects it;
 * its namespaces carry their query (the auth), and it is answered in v4's shapes (v2-protocol.ts).
 */
export class ConnectionV2 extends Connection {
  constructor(host: ConnectionHost, session: EngineSession) {
    super(host, session);
    // After the engine has started the session (it starts it once this handler exists), so that
    // whatever the main namespace's middlewares and listeners do reaches a running session.
    queueMicrotask(() => {
      if (!this.closed) this.onPacket({ type: 'connect', nsp: '/' });
    });
  }

  protected override get format(): WireFormat {
    return socketIoV2Format;
  }

  protected override onPacket(packet: Packet): void {
    super.onPacket(fromV2Packet(packet));
  }

  socketIdFor(nsp: string): string {
    return v2SocketId(nsp, this.session.id);
  }

  override refuse(nsp: string, err: ConnectError): void {
    // socket.io 4.8 tells a v2 client of an unknown namespace as it tells a v5 one.
    if (err === INVALID_NAMESPACE) {
      super.refuse(nsp, err);
      return;
    }
    this.write(v2RefusalPacket(nsp, err), {});
    this.refused(err);
  }
}
