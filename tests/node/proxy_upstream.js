// The upstream server of the proxy tests (Node `ws`): first sends a report of the
// request it got (url, headers, selected subprotocol), then echoes every message with its
// type. Text commands: `close:CODE:REASON` closes with that code and reason, `drop`
// destroys the socket without a close frame, `ping` sends a ping `up-ping`,
// `flood:COUNT:SIZE` sends COUNT binary messages of SIZE bytes at once. A request
// whose path has `/refuse` in it is answered 401 with a body. What it sees (close, ping,
// pong) is printed on stdout as JSON lines after the first line `listening PORT`.
const http = require('http');
const { WebSocketServer } = require('ws');

const server = http.createServer();
const wss = new WebSocketServer({
  noServer: true,
  handleProtocols: (offered) => (offered.has('chat.v2') ? 'chat.v2' : false),
});
const say = (line) => console.log(JSON.stringify(line));

server.on('upgrade', (req, socket, head) => {
  if (req.url.includes('/refuse')) {
    const body = 'token expired: log in again\n';
    socket.end(
      'HTTP/1.1 401 Unauthorized\r\n' +
        'Content-Type: text/plain\r\n' +
        'WWW-Authenticate: Bearer realm="proxy-test"\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    );
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
});

wss.on('headers', (headers) => headers.push('X-Upstream: yes'));

wss.on('connection', (ws, req) => {
  ws.send(JSON.stringify({ url: req.url, headers: req.headers, protocol: ws.protocol }));
  ws.on('message', (data, isBinary) => {
    const text = isBinary ? null : data.toString();
    if (text !== null && text.startsWith('close:')) {
      const [, code, reason] = text.split(':');
      ws.close(Number(code), reason);
    } else if (text !== null && text.startsWith('flood:')) {
      const [, count, size] = text.split(':');
      const payload = Buffer.alloc(Number(size), 0x5a);
      for (let i = 0; i < Number(count); i += 1) ws.send(payload);
    } else if (text === 'drop') {
      ws.terminate();
    } else if (text === 'ping') {
      ws.ping(Buffer.from('up-ping'));
    } else {
      ws.send(data, { binary: isBinary });
    }
  });
  ws.on('ping', (data) => say({ event: 'ping', text: data.toString() }));
  ws.on('pong', (data) => say({ event: 'pong', text: data.toString() }));
  ws.on('close', (code, reason) => say({ event: 'close', code, reason: reason.toString() }));
});

server.listen(0, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
