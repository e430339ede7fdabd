// graphql-ws (graphql-transport-ws) reference server on 127.0.0.1 port 0.
// Usage: node graphql_server.js TOKEN
// A connection_init whose payload.token is not TOKEN is refused (4403 Forbidden). After
// the ack the server sends one protocol ping; it prints `pong` when the answer comes, and
// `closed` when a socket closes.
const http = require('http');
const { WebSocketServer } = require('ws');
const { useServer } = require('graphql-ws/use/ws');
const { schema } = require('./graphql_schema');

const token = process.argv[2] || 'secret';
const server = http.createServer((_, res) => res.writeHead(404).end());
const wss = new WebSocketServer({ server, path: '/graphql' });

useServer(
  {
    schema,
    onConnect: (ctx) => {
      if (!ctx.connectionParams || ctx.connectionParams.token !== token) return false;
      setTimeout(() => {
        const socket = ctx.extra.socket;
        if (socket.readyState === socket.OPEN) socket.send(JSON.stringify({ type: 'ping' }));
      }, 30);
      return true;
    },
    onPong: () => console.log('pong'),
  },
  wss,
  0,
);
wss.on('connection', (socket) => socket.on('close', () => console.log('closed')));

server.listen(0, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
