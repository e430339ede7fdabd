// A second STOMP client (@stomp/stompjs) for cross-checks: connects to URL (STOMP over
// WebSocket, `ws` as its WebSocket) as guest, subscribes to DESTINATION, prints
// `listening 0` once the broker confirmed the subscription with a receipt (it listens on
// nothing: the line says it is ready, which NodeEnv::server waits for), then prints each
// message as `message CONTENT_LENGTH BASE64` (the body byte-exact), and exits after COUNT
// messages (default 1).
'use strict'

const { Client } = require('@stomp/stompjs')
const WebSocket = require('ws')

const [url, destination, count = '1'] = process.argv.slice(2)
let left = Number(count)
const client = new Client({
  webSocketFactory: () => new WebSocket(url, ['v12.stomp', 'v11.stomp']),
  connectHeaders: { login: 'guest', passcode: 'guest' },
  reconnectDelay: 0,
  heartbeatIncoming: 0,
  heartbeatOutgoing: 0
})
client.onConnect = () => {
  client.watchForReceipt('subscribed', () => console.log('listening 0'))
  client.subscribe(destination, (message) => {
    const body = Buffer.from(message.binaryBody)
    console.log(`message ${message.headers['content-length']} ${body.toString('base64')}`)
    left -= 1
    if (left <= 0) {
      client.deactivate().then(() => process.exit(0))
    }
  }, { receipt: 'subscribed' })
}
client.onStompError = (frame) => {
  console.error('STOMP error', frame.headers.message)
  process.exit(1)
}
client.activate()
