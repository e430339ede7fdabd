// The reference Socket.IO server (socket.io 4.8) for tests/protocol_socketio.rs.
//
// Usage: node socketio_server.js [--eio3] [--polling-only]
//   --eio3          also serve Engine.IO 3 (Socket.IO v2) clients (allowEIO3)
//   --polling-only  offer only HTTP long-polling (the websocket upgrade is refused)
//
// Listens on 127.0.0.1 port 0 and prints `listening PORT`, then one JSON line per thing
// seen: {"connected":NS,"query":{…},"auth":{…}}, {"ns":NS,"event":E,"args":[…],"ack":BOOL}
// (binary values as {"$binary":"<base64>"}), {"ns":NS,"answered":[…]},
// {"disconnected":NS,"reason":R}. The process ends shortly after the first client's
// connection closes (so a test reads everything it printed), or after 25 s.
//
// In every namespace (/, /admin, /private, /quiz) an event is emitted back to the client
// with the same name and arguments, and answered with ("got", ...args) when it asks for an
// ack; `kick-me` instead makes the server disconnect the client (the namespace, then the
// whole connection). On joining /quiz the server emits `question` ("are you there?") asking for an ack
// (the namespace's first ack id is 0); the answer is printed and emitted back as
// `answered`. /private's middleware refuses a connection whose auth token is not "letmein".

const http = require("http");
const { Server } = require("socket.io");

const flags = process.argv.slice(2);
const httpServer = http.createServer();
const io = new Server(httpServer, {
  pingInterval: 300,
  pingTimeout: 200,
  allowEIO3: flags.includes("--eio3"),
  transports: flags.includes("--polling-only") ? ["polling"] : ["polling", "websocket"],
});

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

function log(object) {
  process.stdout.write(JSON.stringify(object) + "\n");
}

function serve(nsp) {
  nsp.on("connection", (socket) => {
    const { EIO, transport, t, ...query } = socket.handshake.query;
    log({ connected: nsp.name, eio: EIO, transport, query, auth: socket.handshake.auth });
    socket.onAny((event, ...args) => {
      const ack = typeof args[args.length - 1] === "function" ? args.pop() : null;
      log({ ns: nsp.name, event, args: plain(args), ack: ack !== null });
      if (event === "kick-me") {
        socket.disconnect(true);
        return;
      }
      socket.emit(event, ...args);
      if (ack) ack("got", ...args);
    });
    socket.on("disconnect", (reason) => log({ disconnected: nsp.name, reason }));
    if (nsp.name === "/quiz") {
      socket.emit("question", "are you there?", (...answer) => {
        log({ ns: nsp.name, answered: plain(answer) });
        socket.emit("answered", ...answer);
      });
    }
  });
}

serve(io.of("/"));
serve(io.of("/admin"));
const guarded = io.of("/private");
guarded.use((socket, next) => {
  if (socket.handshake.auth && socket.handshake.auth.token === "letmein") {
    next();
  } else {
    const error = new Error("not authorized");
    error.data = { hint: "token" };
    next(error);
  }
});
serve(guarded);
serve(io.of("/quiz"));

io.engine.once("connection", (connection) => {
  connection.once("close", () => setTimeout(() => process.exit(0), 100));
});
setTimeout(() => process.exit(0), 25000);

httpServer.listen(0, "127.0.0.1", () => {
  process.stdout.write(`listening ${httpServer.address().port}\n`);
});
