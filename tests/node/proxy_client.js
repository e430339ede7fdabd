// The client of the proxy tests (Node `ws`): `node proxy_client.js URL ACTIONS_JSON`.
// Connects with subprotocols `chat.v2, chat.v1`, an Origin, a Cookie, an Authorization
// and an X-Strip-Me header, then runs the actions in order:
//   ["recv"]               wait for the next message
//   ["text", S]            send text S, wait for the next message
//   ["binary", HEX]        send those bytes as binary, wait for the next message
//   ["ping", S]            send a ping with S, wait for a pong
//   ["say", S]             send text S without waiting
//   ["await", EVENT]       wait for the next EVENT (ping, pong, message, close)
//   ["fragments", A, B]    send text A + B as two frames of one message, wait for the next
//   ["big", MIB]           send MIB MiB of random bytes, wait for the next message
//   ["close", CODE, R]     close with CODE and reason R
// Everything it sees is printed as a JSON line: open, message (type, text or hex; past
// 4 KiB len and sha256 instead), sent (len and sha256 of a big message), ping,
// pong, close (code, reason, wasClean), unexpected-response (status, headers, body),
// error. It exits after the close (or the refusal), at most after 60 s (a 16 MiB message
// through a debug build on a loaded machine takes a while).
const crypto = require('crypto');
const WebSocket = require('ws');

const sha256 = (bytes) => crypto.createHash('sha256').update(bytes).digest('hex');

const [url, actionsJson] = process.argv.slice(2);
const actions = JSON.parse(actionsJson || '[]');
const seen = [];
let wake = () => {};
const say = (line) => {
  console.log(JSON.stringify(line));
  seen.push(line);
  wake();
};
const next = async (event) => {
  for (;;) {
    const at = seen.findIndex((line) => line.event === event && !line.taken);
    if (at >= 0) {
      seen[at].taken = true;
      return seen[at];
    }
    await new Promise((resolve) => {
      wake = resolve;
    });
  }
};
setTimeout(() => {
  say({ event: 'timeout' });
  process.exit(3);
}, 60000).unref();

const ws = new WebSocket(url, ['chat.v2', 'chat.v1'], {
  origin: 'http://app.example',
  headers: {
    Cookie: 'session=cookie-secret-value',
    Authorization: 'Bearer token-secret-value',
    'X-Strip-Me': 'gone',
  },
});
ws.on('upgrade', (res) => say({ event: 'upgrade', status: res.statusCode, headers: res.headers }));
ws.on('unexpected-response', (req, res) => {
  let body = '';
  res.on('data', (chunk) => {
    body += chunk;
  });
  res.on('end', () => {
    say({ event: 'unexpected-response', status: res.statusCode, headers: res.headers, body });
    res.socket.destroy();
  });
});
ws.on('error', (error) => say({ event: 'error', message: error.message }));
ws.on('message', (data, isBinary) => {
  const type = isBinary ? 'binary' : 'text';
  if (data.length > 4096) say({ event: 'message', type, len: data.length, sha256: sha256(data) });
  else if (isBinary) say({ event: 'message', type, hex: Buffer.from(data).toString('hex') });
  else say({ event: 'message', type, text: data.toString() });
});
ws.on('ping', (data) => say({ event: 'ping', text: data.toString() }));
ws.on('pong', (data) => say({ event: 'pong', text: data.toString() }));
ws.addEventListener('close', (e) => {
  say({ event: 'close', code: e.code, reason: e.reason, wasClean: e.wasClean });

});
ws.on('open', async () => {
  say({ event: 'open', protocol: ws.protocol });
  for (const [action, a, b] of actions) {
    if (action === 'recv') await next('message');
    else if (action === 'text') {
      ws.send(a);
      await next('message');
    } else if (action === 'binary') {
      ws.send(Buffer.from(a, 'hex'));
      await next('message');
    } else if (action === 'ping') {
      ws.ping(Buffer.from(a));
      await next('pong');
    } else if (action === 'fragments') {
      ws.send(a, { fin: false });
      ws.send(b, { fin: true });
      await next('message');
    } else if (action === 'big') {
      const bytes = crypto.randomBytes(a * 1024 * 1024);
      say({ event: 'sent', len: bytes.length, sha256: sha256(bytes) });
      ws.send(bytes);
      await next('message');
    } else if (action === 'say') ws.send(a);
    else if (action === 'await') await next(a);
    else if (action === 'close') ws.close(a, b);
  }
});
