// The browser tests' stand-in for Electron's IPC: an HTTP server that serves the built
// renderer and carries window.api calls to the real main-process handlers (POST /ipc/<channel>)
// and main's events back to the page (server-sent events on /ipc/events).
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { handleInvoke, isOwnRenderer, type Handlers } from '../../src/main/handlers';
import { EVENT_NAMES, INVOKE_CHANNELS, INVOKE_NAMES, type EventChannel, type EventMap, type InvokeChannel } from '../../src/shared/ipc';

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.woff2': 'font/woff2' };

export interface Bridge {
  url: string;
  /** Sends a main-process event to every open page. */
  emit<K extends EventChannel>(channel: K, payload: EventMap[K]): void;
  /** Messages refused because they came from another origin. */
  refused: string[];
  close(): Promise<void>;
}

export async function startBridge(rendererDir: string, handlers: () => Handlers): Promise<Bridge> {
  const streams = new Set<ServerResponse>();
  const refused: string[] = [];
  let url = '';
  const server = createServer((req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://x').pathname;
    if (pathname === '/ipc/events') return openEvents(res, streams);
    if (pathname.startsWith('/ipc/')) return void invoke(req, res, pathname.slice(5), handlers(), url, refused);
    serveFile(res, rendererDir, pathname);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    refused,
    emit: (channel, payload) => {
      for (const res of streams) res.write(`event: ${channel}\ndata: ${JSON.stringify(payload)}\n\n`);
    },
    close: () => {
      for (const res of streams) res.end();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

function openEvents(res: ServerResponse, streams: Set<ServerResponse>): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
  res.write(': open\n\n');
  streams.add(res);
  res.on('close', () => streams.delete(res));
}

async function invoke(req: IncomingMessage, res: ServerResponse, channel: string, handlers: Handlers, url: string, refused: string[]) {
  const reply = (status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  // The sender check of src/main/ipc.ts, with the request's Origin for the frame's URL.
  const origin = String(req.headers.origin ?? '');
  if (req.method !== 'POST' || !isOwnRenderer(origin, url)) {
    refused.push(`${channel} from ${origin || 'no origin'}`);
    return reply(403, { error: `${channel}: refused a message from ${origin || 'an unknown page'}` });
  }
  if (!INVOKE_CHANNELS.includes(channel as InvokeChannel)) return reply(404, { error: `no channel ${channel}` });
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    const value = await handleInvoke(handlers, channel as InvokeChannel, text ? JSON.parse(text) : undefined);
    reply(200, { value: value ?? null });
  } catch (err) {
    reply(200, { error: err instanceof Error ? err.message : String(err) });
  }
}

function serveFile(res: ServerResponse, root: string, pathname: string): void {
  const file = path.join(root, pathname === '/' ? 'index.html' : path.normalize(pathname).replace(/^([/\\])+/, ''));
  if (!file.startsWith(root) || !existsSync(file) || !statSync(file).isFile()) {
    res.writeHead(404);
    res.end();
    return;
  }
  res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
  createReadStream(file).pipe(res);
}

/**
 * The page side: a script run before the renderer's own that builds window.api as the preload
 * does (one function per invoke channel, one subscription per event with its unsubscribe), over
 * fetch and EventSource. Errors read like Electron's ("Error invoking remote method ...").
 */
export function apiShim(): string {
  const invoke = JSON.stringify(INVOKE_NAMES);
  const events = JSON.stringify(EVENT_NAMES);
  return `(() => {
    const api = {};
    for (const [channel, name] of Object.entries(${invoke})) {
      api[name] = async (req) => {
        const res = await fetch('/ipc/' + channel, { method: 'POST', headers: { 'content-type': 'application/json' }, body: req === undefined ? '' : JSON.stringify(req) });
        const body = await res.json();
        if (body.error !== undefined) throw new Error("Error invoking remote method '" + channel + "': Error: " + body.error);
        return body.value;
      };
    }
    const source = new EventSource('/ipc/events');
    for (const [channel, name] of Object.entries(${events})) {
      api[name] = (listener) => {
        const forward = (event) => listener(JSON.parse(event.data));
        source.addEventListener(channel, forward);
        return () => source.removeEventListener(channel, forward);
      };
    }
    Object.defineProperty(window, 'api', { value: Object.freeze(api), writable: false });
  })();`;
}
