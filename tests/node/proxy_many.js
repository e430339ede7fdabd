// Many clients through the proxy at once (Node `ws`): `node proxy_many.js URL COUNT`.
// All connect together; each skips the upstream's report, sends `client-I` (I from 1),
// expects it back, then closes with 1000 `done-I` and expects the same close back. Prints
// one JSON line: {"ok": N, "failures": [...]}.
const WebSocket = require('ws');

const [url, countText] = process.argv.slice(2);
const count = Number(countText);

const one = (i) =>
  new Promise((resolve) => {
    const ws = new WebSocket(`${url}/many/${i}`);
    let messages = 0;
    let failure = null;
    ws.on('message', (data) => {
      messages += 1;
      if (messages === 1) {
        ws.send(`client-${i}`);
      } else if (data.toString() !== `client-${i}`) {
        failure = `${i}: echo ${data.toString()}`;
        ws.close(1000, `done-${i}`);
      } else {
        ws.close(1000, `done-${i}`);
      }
    });
    ws.on('error', (error) => {
      failure = failure || `${i}: ${error.message}`;
    });
    ws.addEventListener('close', (e) => {
      if (!failure && (e.code !== 1000 || e.reason !== `done-${i}` || !e.wasClean)) {
        failure = `${i}: close ${e.code} ${e.reason} ${e.wasClean}`;
      }
      resolve(failure);
    });
  });

Promise.all(Array.from({ length: count }, (_, i) => one(i + 1))).then((results) => {
  const failures = results.filter((r) => r !== null);
  console.log(JSON.stringify({ ok: count - failures.length, failures }));
});
