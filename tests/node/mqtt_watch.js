// A second MQTT client (mqtt.js) for cross-checks: connects to URL over WebSocket,
// subscribes to TOPIC (QoS 2), prints `listening 0` (it listens on nothing: the line says it is
// subscribed, which NodeEnv::server waits for), then prints each message it receives as
// `message TOPIC QOS RETAIN BASE64` (the payload byte-exact), and exits after COUNT
// messages (default 1).
'use strict'

const mqtt = require('mqtt')

const [url, topic, count = '1', version = '4'] = process.argv.slice(2)
let left = Number(count)
const client = mqtt.connect(url, { protocolVersion: Number(version), reconnectPeriod: 0 })
client.on('connect', () => {
  client.subscribe(topic, { qos: 2 }, (error) => {
    if (error) {
      console.error(error)
      process.exit(1)
    }
    console.log('listening 0') // subscribed: NodeEnv::server waits for this line
  })
})
client.on('message', (topic, payload, packet) => {
  console.log(`message ${topic} ${packet.qos} ${packet.retain} ${payload.toString('base64')}`)
  left -= 1
  if (left <= 0) {
    client.end(false, {}, () => process.exit(0))
  }
})
client.on('error', (error) => {
  console.error(error)
  process.exit(1)
})
