// json-rpc-2.0 reference server over ws on 127.0.0.1 port 0, one JSON-RPC peer per socket.
// Methods: sum(numbers) → their sum; log({text}) (a notification) → the server notifies
// `logged` back; garbage() → the server also sends a message that is not JSON-RPC.
// On connection the server calls the client: request `whoami` (id 1); when the answer
// comes it notifies `clientSaid` with {result} or {error}.
const http = require('http');
const { WebSocketServer } = require('ws');
const { JSONRPCServer, JSONRPCClient, JSONRPCServerAndClient } = require('json-rpc-2.0');

const server = http.createServer((_, res) => res.writeHead(404).end());
const wss = new WebSocketServer({ server });

wss.on('connection', (socket) => {
  const peer = new JSONRPCServerAndClient(
    new JSONRPCServer(),
    new JSONRPCClient((message) => {
      socket.send(JSON.stringify(message));
      return Promise.resolve();
    }),
  );
  peer.addMethod('sum', (numbers) => numbers.reduce((a, b) => a + b, 0));
  peer.addMethod('log', ({ text }) => {
    peer.notify('logged', { text });
  });
  peer.addMethod('garbage', () => {
    socket.send(JSON.stringify({ jsonrpc: '1.0', hello: true }));
    return true;
  });
  socket.on('message', (data) => {
    let payload;
    try {
      payload = JSON.parse(data.toString());
    } catch {
      return;
    }
    peer.receiveAndSend(payload).catch(() => {});
  });
  socket.on('close', () => peer.rejectAllPendingRequests('closed'));
  peer
    .request('whoami', { ask: 'name' })
    .then((result) => peer.notify('clientSaid', { result }))
    .catch((error) => peer.notify('clientSaid', { error: String(error.message || error) }));
});

server.listen(0, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
