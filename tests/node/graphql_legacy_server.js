// subscriptions-transport-ws (legacy `graphql-ws` subprotocol) reference server on
// 127.0.0.1 port 0, sending `ka` keep-alives every 50 ms.
const http = require('http');
const { execute, subscribe } = require('graphql');
const { SubscriptionServer } = require('subscriptions-transport-ws');
const { schema } = require('./graphql_schema');

const server = http.createServer((_, res) => res.writeHead(404).end());
SubscriptionServer.create(
  { schema, execute, subscribe, keepAlive: 50 },
  { server, path: '/graphql' },
);

server.listen(0, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
