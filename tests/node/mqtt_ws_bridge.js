// A WebSocket front for a plain-TCP MQTT broker (Mosquitto listens on 127.0.0.1 only with
// plain MQTT; its own websockets listener binds every interface). Listens on 127.0.0.1 port
// 0 with subprotocol `mqtt`, opens one TCP connection to 127.0.0.1:TCP_PORT per WebSocket
// and copies bytes both ways: each TCP read becomes one binary message, so a message may
// hold several packets or part of one, as MQTT over WebSocket allows.
'use strict'

const http = require('node:http')
const net = require('node:net')
const { WebSocketServer } = require('ws')

const tcpPort = Number(process.argv[2])
const server = http.createServer()
const wss = new WebSocketServer({
  server,
  handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : false)
})
wss.on('connection', (socket) => {
  const tcp = net.connect(tcpPort, '127.0.0.1')
  tcp.on('data', (data) => socket.send(data, { binary: true }))
  tcp.on('close', () => socket.close(1000))
  tcp.on('error', () => socket.terminate())
  socket.on('message', (data) => tcp.write(data))
  socket.on('close', () => tcp.end())
})
server.listen(0, '127.0.0.1', () => {
  console.log(`listening ${server.address().port}`)
})
