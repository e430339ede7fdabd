// A document that changes, sent as RFC 6902 JSON Patches made by fast-json-patch's
// compare() (every other one with its `test` operations), over ws on 127.0.0.1 port 0.
// Each connection gets {"seq":0,"patch":[add "" the first document]}, then COUNT (first
// argument, default 200) messages {"seq":N,"patch":[...]}, then the document as the server
// holds it, {"final":true,"doc":...}, then close 1000.
const http = require('http');
const { WebSocketServer } = require('ws');
const jsonpatch = require('fast-json-patch');

const count = Number(process.argv[2] || 200);

// A small deterministic generator, so every run sends the same changes.
function rng(seed) {
  let state = seed >>> 0;
  return (n) => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state >>> 16) % n;
  };
}

function mutate(doc, pick) {
  const users = doc.users;
  const names = Object.keys(users);
  switch (pick(7)) {
    case 0: // a user joins (two cases of seven, so the room fills up)
    case 6:
      users['u' + pick(40)] = { name: 'user ' + pick(1000), tags: [], score: pick(100) };
      break;
    case 1: // a user leaves
      if (names.length) delete users[names[pick(names.length)]];
      break;
    case 2: // a score changes
      if (names.length) users[names[pick(names.length)]].score = pick(100);
      break;
    case 3: // a tag is added
      if (names.length) users[names[pick(names.length)]].tags.push('t' + pick(9));
      break;
    case 4: // a tag is removed from the middle of the list
      if (names.length) {
        const tags = users[names[pick(names.length)]].tags;
        if (tags.length) tags.splice(pick(tags.length), 1);
      }
      break;
    default: // the room's title and a nested counter
      doc.room.title = 'room ' + pick(50);
      doc.room.stats.changes += 1;
  }
}

const server = http.createServer((_, res) => res.writeHead(404).end());
const wss = new WebSocketServer({ server });

wss.on('connection', (socket) => {
  const pick = rng(6902);
  let doc = { room: { title: 'lobby', stats: { changes: 0 } }, users: {} };
  socket.send(JSON.stringify({ seq: 0, patch: [{ op: 'add', path: '', value: doc }] }));
  for (let seq = 1; seq <= count; seq++) {
    const next = jsonpatch.deepClone(doc);
    mutate(next, pick);
    mutate(next, pick);
    const patch = jsonpatch.compare(doc, next, seq % 2 === 0);
    doc = next;
    socket.send(JSON.stringify({ seq, patch }));
  }
  socket.send(JSON.stringify({ final: true, doc }));
  socket.close(1000, 'patches done');
});

server.listen(0, '127.0.0.1', () => {
  console.log(`listening ${server.address().port}`);
});
