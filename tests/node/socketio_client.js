// The reference Socket.IO client (socket.io-client 4.8.4) against a server, for a
// cross-check of Sockscope's demo path (tests/protocol_socketio.rs).
//
// Usage: node socketio_client.js URL
// Connects over the websocket transport only, emits `chat` ("hi", {n: 1}) and `blob`
// (bytes 00 01 ff) each asking for an ack, then disconnects. Prints one JSON line per thing
// seen: {"connected":ID}, {"event":E,"args":[…]}, {"ack":E,"args":[…]} (binary values as
// {"$binary":"<base64>"}), and {"error":…} (exit 1) on a failure or after 10 s.

const { io } = require("socket.io-client");

function plain(value) {
  if (Buffer.isBuffer(value)) return { $binary: value.toString("base64") };
  if (value instanceof ArrayBuffer) return { $binary: Buffer.from(value).toString("base64") };
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === "object") {
    const out = {};
    for (const [key, item] of Object.entries(value)) out[key] = plain(item);
    return out;
  }
  return value;
}

function out(object) {
  process.stdout.write(JSON.stringify(object) + "\n");
}

function fail(why) {
  out({ error: String(why) });
  process.exit(1);
}

setTimeout(() => fail("timed out"), 10000);
const socket = io(process.argv[2], { transports: ["websocket"], reconnection: false });
socket.on("connect_error", fail);
socket.onAny((event, ...args) => out({ event, args: plain(args) }));

function emit(event, ...args) {
  return new Promise((resolve, reject) => {
    socket.timeout(5000).emit(event, ...args, (error, ...answer) => {
      if (error) reject(error);
      out({ ack: event, args: plain(answer) });
      resolve();
    });
  });
}

socket.on("connect", async () => {
  out({ connected: socket.id });
  try {
    await emit("chat", "hi", { n: 1 });
    await emit("blob", Buffer.from([0, 1, 255]));
  } catch (error) {
    fail(error);
  }
  setTimeout(() => {
    socket.disconnect();
    process.exit(0);
  }, 200);
});
