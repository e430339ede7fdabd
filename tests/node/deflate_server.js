// ws with permessage-deflate on 127.0.0.1 port 0. argv[2]: JSON of ws's perMessageDeflate
// options (serverNoContextTakeover, clientNoContextTakeover, serverMaxWindowBits,
// clientMaxWindowBits); threshold 0, so every message it sends is compressed.
// Paths: /echo sends each message back (binary as binary); /plain first sends "plain 1" to
// "plain 3" uncompressed (RSV1 clear) and "compressed 4" compressed, then echoes;
// /bomb?size=N sends one compressed binary message of N zero bytes.
// Prints `listening <port>`, then for each handshake `answered <its extensions header>`.
const http = require('http');
const { WebSocketServer } = require('ws');

const options = JSON.parse(process.argv[2] || '{}');
const server = http.createServer((_, res) => res.writeHead(404).end());
const wss = new WebSocketServer({
  server,
  perMessageDeflate: { threshold: 0, ...options },
  maxPayload: 64 << 20,
});

wss.on('headers', (headers) => {
  const answer = headers.find((h) => /^sec-websocket-extensions:/i.test(h));
  console.log(`answered ${answer ? answer.replace(/^[^:]*:\s*/, '') : 'nothing'}`);
});

wss.on('connection', (socket, req) => {
  const url = new URL(req.url, 'http://localhost');
  if (url.pathname === '/plain') {
    for (let i = 1; i <= 3; i++) socket.send(`plain ${i}`, { compress: false });
    socket.send('compressed 4', { compress: true });
  }
  if (url.pathname === '/bomb') {
    const size = Number(url.searchParams.get('size'));
    socket.send(Buffer.alloc(size), { binary: true, compress: true });
  }
  socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
});

server.listen(0, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
