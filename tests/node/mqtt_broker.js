// An MQTT 3.1.1 broker (aedes) over WebSocket on 127.0.0.1, port 0, for the protocol tests.
// Accepts anonymous clients and `alice` with password `wonderland`; any other password is
// refused with CONNACK return code 4 (bad user name or password).
// Prints `listening PORT`, then one line per event the tests may wait for.
'use strict'

const http = require('node:http')
const { WebSocketServer, createWebSocketStream } = require('ws')

async function main () {
  const { Aedes } = await import('aedes')
  const broker = await Aedes.createBroker()
  broker.authenticate = (client, username, password, callback) => {
    if (username === undefined || (username === 'alice' && String(password) === 'wonderland')) {
      callback(null, true)
      return
    }
    const error = new Error('bad user name or password')
    error.returnCode = 4
    callback(error, false)
  }
  broker.on('publish', (packet, client) => {
    if (client) {
      console.log(`published ${packet.topic} qos ${packet.qos} ${Buffer.from(packet.payload).toString('base64')}`)
    }
  })
  const server = http.createServer()
  const wss = new WebSocketServer({
    server,
    handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : false)
  })
  wss.on('connection', (socket, request) => {
    broker.handle(createWebSocketStream(socket), request)
  })
  server.listen(0, '127.0.0.1', () => {
    console.log(`listening ${server.address().port}`)
  })
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
