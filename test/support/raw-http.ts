/** An HTTP request written by hand on a socket: headers (and a start of a body) that a client library would not send. */
import { connect } from 'node:net';

/** Writes `head` and resolves with what the server answers first, without sending the rest of any body. */
export function rawExchange(baseUrl: string, head: string): Promise<string> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(head));
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(text);
    }, 5_000);
    socket.on('data', (chunk) => {
      text += chunk.toString();
      const [headers, body] = text.split('\r\n\r\n');
      const length = Number(/content-length: (\d+)/i.exec(headers ?? '')?.[1] ?? NaN);
      if (body !== undefined && Buffer.byteLength(body) >= length) {
        clearTimeout(timer);
        socket.destroy();
        resolve(text);
      }
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}
